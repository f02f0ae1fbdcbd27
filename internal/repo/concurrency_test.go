package repo

import (
	"bytes"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

func TestConcurrentSaveAndLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	const workers, perWorker = 8, 40
	blob := func(i int) []byte { return randomData(uint64(i), 1000+i*97) }
	// Every worker saves overlapping blobs: each blob is saved by two workers.
	var wg sync.WaitGroup
	var stored, known atomic.Int64
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				b := blob((w*perWorker/2 + i) % (workers * perWorker / 2))
				res, err := r.SaveBlob(ctx, DataBlob, r.ChunkID(b), b)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Known {
					known.Add(1)
				} else {
					stored.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	unique := workers * perWorker / 2
	if stored.Load() != int64(unique) || known.Load() != int64(unique) {
		t.Fatalf("stored %d known %d, want %d each", stored.Load(), known.Load(), unique)
	}
	r2 := reopen(t, be)
	if n := r2.idx.blobCount(); n != unique {
		t.Fatalf("index has %d blobs, want %d", n, unique)
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := w; i < unique; i += workers {
				want := blob(i)
				got, err := r2.LoadBlob(ctx, DataBlob, r2.ChunkID(want), buf)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("blob %d: %v", i, err)
					return
				}
				buf = got
			}
		}()
	}
	wg.Wait()
}

// gateBackend blocks Save of packs until released, counting calls in
// progress.
type gateBackend struct {
	storage.Backend
	gate     chan struct{}
	inFlight atomic.Int32
	peak     atomic.Int32
}

func (g *gateBackend) Save(ctx context.Context, name string, rd io.Reader, size int64) error {
	if len(name) > 5 && name[:5] == "data/" {
		n := g.inFlight.Add(1)
		for {
			p := g.peak.Load()
			if n <= p || g.peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer g.inFlight.Add(-1)
		select {
		case <-g.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Backend.Save(ctx, name, rd, size)
}

// TestBoundedMemory checks that stalled uploads stop SaveBlob after
// uploaders+2 packs instead of buffering without limit.
func TestBoundedMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, inner := newTestRepo(t)
	gb := &gateBackend{Backend: inner, gate: make(chan struct{})}
	r, err := Open(ctx, gb, testKEK(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	const uploaders = 2
	r.SetOptions(Options{Uploaders: uploaders, PackSize: 64 << 10})
	var saved atomic.Int32
	done := make(chan error, 1)
	go func() {
		for i := range 100 {
			b := randomData(uint64(1000+i), 40<<10) // less than one pack each
			if _, err := r.SaveBlob(ctx, DataBlob, r.ChunkID(b), b); err != nil {
				done <- err
				return
			}
			saved.Add(1)
		}
		done <- r.Flush(ctx)
	}()
	waitFor(t, func() bool {
		r.packer.mu.Lock()
		defer r.packer.mu.Unlock()
		return r.packer.outstanding == uploaders+2 && gb.inFlight.Load() == uploaders
	})
	// Blocked: the writer cannot have saved more than the packs in memory hold.
	if n := saved.Load(); n > uploaders+2 {
		t.Fatalf("saved %d blobs while uploads were stalled; want at most %d", n, uploaders+2)
	}
	close(gb.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := gb.peak.Load(); p > uploaders {
		t.Fatalf("%d concurrent uploads, want at most %d", p, uploaders)
	}
	if saved.Load() != 100 {
		t.Fatalf("saved %d", saved.Load())
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSaveSnapshotRequiresFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := newTestRepo(t)
	saveData(t, r, []byte("unflushed"))
	if _, err := r.SaveSnapshot(ctx, &Snapshot{}); err == nil {
		t.Fatal("SaveSnapshot before Flush succeeded")
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveSnapshot(ctx, &Snapshot{}); err != nil {
		t.Fatal(err)
	}
}

// failBackend fails every pack upload.
type failBackend struct{ storage.Backend }

func (f failBackend) Save(ctx context.Context, name string, rd io.Reader, size int64) error {
	if len(name) > 5 && name[:5] == "data/" {
		return storage.Permanent(name, io.ErrClosedPipe)
	}
	return f.Backend.Save(ctx, name, rd, size)
}

func TestUploadErrorIsReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, inner := newTestRepo(t)
	r, err := Open(ctx, failBackend{inner}, testKEK(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	saveData(t, r, []byte("a"), []byte("b"))
	if err := r.Flush(ctx); err == nil || !storage.IsPermanent(err) {
		t.Fatalf("Flush after failed upload: %v", err)
	}
	if _, err := r.SaveBlob(ctx, DataBlob, r.ChunkID([]byte("c")), []byte("c")); err == nil {
		t.Fatal("SaveBlob after failed upload succeeded")
	}
}

// TestConcurrentMixedSizes saves blobs larger than a pack alongside small
// ones from many goroutines: big blobs get packs of their own.
func TestConcurrentMixedSizes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t) // 64 KiB packs
	var wg sync.WaitGroup
	blobs := make([][]byte, 64)
	for i := range blobs {
		size := 500 + i*31
		if i%3 == 0 {
			size = 70<<10 + i*1000 // larger than a pack
		}
		blobs[i] = randomData(uint64(5000+i), size)
	}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(blobs); i += 8 {
				if _, err := r.SaveBlob(ctx, DataBlob, r.ChunkID(blobs[i]), blobs[i]); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := reopen(t, be)
	for i, b := range blobs {
		got, err := r2.LoadBlob(ctx, DataBlob, r2.ChunkID(b), nil)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("blob %d: %v", i, err)
		}
	}
	if _, err := r2.Check(ctx, CheckOptions{ReadData: true}, func(p Problem) { t.Errorf("%v", p) }); err != nil {
		t.Fatal(err)
	}
}
