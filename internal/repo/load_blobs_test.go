package repo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// countingBackend counts ranged reads.
type countingBackend struct {
	storage.Backend
	opens atomic.Int64
}

func (c *countingBackend) Open(ctx context.Context, name string, off, n int64) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.Backend.Open(ctx, name, off, n)
}

// loadBlobsFixture stores blobs of mixed sizes and compressibility in
// several packs and returns them with their IDs.
func loadBlobsFixture(t *testing.T) (*Repository, *countingBackend, [][]byte, []ID) {
	t.Helper()
	r, be := newTestRepo(t)
	var blobs [][]byte
	for i := range 60 {
		n := 100 + i*997%20000
		if i%3 == 0 {
			blobs = append(blobs, randomData(uint64(i), n))
		} else {
			blobs = append(blobs, bytes.Repeat([]byte{byte(i), 'x', 'y'}, n/3+1))
		}
	}
	ids := saveData(t, r, blobs...)
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	cb := &countingBackend{Backend: be}
	r2 := reopen(t, cb)
	if packs := len(objectNames(t, be, "data/")); packs < 3 {
		t.Fatalf("fixture spans %d packs; want several", packs)
	}
	return r2, cb, blobs, ids
}

// Blobs asked for out of order, with gaps and twice come back right, each
// index once, with fewer reads than blobs.
func TestLoadBlobsOutOfOrderWithGapsAndDuplicates(t *testing.T) {
	t.Parallel()
	r, cb, blobs, ids := loadBlobsFixture(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var refs []BlobRef
	var want [][]byte
	for i, id := range ids {
		if i%4 == 1 { // gaps: leave every fourth blob out
			continue
		}
		refs = append(refs, BlobRef{Type: DataBlob, ID: id})
		want = append(want, blobs[i])
		if i%7 == 0 { // duplicates
			refs = append(refs, BlobRef{Type: DataBlob, ID: id})
			want = append(want, blobs[i])
		}
	}
	rng.Shuffle(len(refs), func(i, j int) {
		refs[i], refs[j] = refs[j], refs[i]
		want[i], want[j] = want[j], want[i]
	})
	cb.opens.Store(0)
	seen := make([]int, len(refs))
	err := r.LoadBlobs(context.Background(), refs, func(i int, data []byte) error {
		seen[i]++
		if !bytes.Equal(data, want[i]) {
			t.Errorf("ref %d: got %d bytes, want the %d bytes saved", i, len(data), len(want[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("ref %d delivered %d times, want once", i, n)
		}
	}
	// The fixture's packs are far below maxRunBytes: one read per pack.
	if got, packs := cb.opens.Load(), len(objectNames(t, cb.Backend, "data/")); got > int64(packs) || got >= int64(len(refs)) {
		t.Errorf("%d ranged reads for %d blobs in %d packs; want at most one per pack", got, len(refs), packs)
	}
}

// A damaged blob in the middle of a run fails the load with its pack and
// ID named, and its bytes never reach fn.
func TestLoadBlobsNamesDamagedBlobInRun(t *testing.T) {
	t.Parallel()
	r, cb, _, ids := loadBlobsFixture(t)
	victim := ids[len(ids)/2]
	loc, ok := r.LookupBlob(DataBlob, victim)
	if !ok {
		t.Fatal("victim not indexed")
	}
	name := packName(loc.PackID)
	raw := readAll(t, cb.Backend, name)
	raw[int(loc.Offset)+loc.Length/2] ^= 0x40
	overwrite(t, cb.Backend, name, raw)

	refs := make([]BlobRef, len(ids))
	for i, id := range ids {
		refs[i] = BlobRef{Type: DataBlob, ID: id}
	}
	err := r.LoadBlobs(context.Background(), refs, func(i int, data []byte) error {
		if ids[i] == victim {
			t.Errorf("damaged blob %s was handed out", victim.Short())
		}
		return nil
	})
	var ce *CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a CorruptionError", err)
	}
	if ce.Object != name || ce.Blob == nil || *ce.Blob != victim {
		t.Fatalf("error names %s blob %v, want %s blob %s", ce.Object, ce.Blob, name, victim.Short())
	}
}

func TestLoadBlobsFnErrorStops(t *testing.T) {
	t.Parallel()
	r, _, _, ids := loadBlobsFixture(t)
	stop := errors.New("stop")
	calls := 0
	err := r.LoadBlobs(context.Background(), []BlobRef{{DataBlob, ids[0]}, {DataBlob, ids[1]}}, func(int, []byte) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("got %v after %d calls, want stop after 1", err, calls)
	}
	var missing ID
	missing[0] = 1
	if err := r.LoadBlobs(context.Background(), []BlobRef{{DataBlob, missing}}, func(int, []byte) error { return nil }); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("unknown blob: got %v, want ErrBlobNotFound", err)
	}
}

func TestRunLengthLimits(t *testing.T) {
	t.Parallel()
	p1, p2 := ID{1}, ID{2}
	at := func(pack ID, off int64, n int) runBlob {
		return runBlob{loc: BlobLocation{PackID: pack, Offset: off, Length: n}}
	}
	for _, c := range []struct {
		name  string
		blobs []runBlob
		want  int
	}{
		{"adjacent", []runBlob{at(p1, 0, 100), at(p1, 100, 100), at(p1, 200, 100)}, 3},
		{"small gap read through", []runBlob{at(p1, 0, 100), at(p1, 100+maxRunGap, 100)}, 2},
		{"large gap splits", []runBlob{at(p1, 0, 100), at(p1, 101+maxRunGap, 100)}, 1},
		{"other pack splits", []runBlob{at(p1, 0, 100), at(p2, 100, 100)}, 1},
		{"size bound splits", []runBlob{at(p1, 0, maxRunBytes-10), at(p1, maxRunBytes-10, 11)}, 1},
		{"size bound reached exactly", []runBlob{at(p1, 0, maxRunBytes-10), at(p1, maxRunBytes-10, 10)}, 2},
		{"one blob larger than a run", []runBlob{at(p1, 0, 2*maxRunBytes), at(p1, 2*maxRunBytes, 1)}, 1},
		{"duplicate offsets", []runBlob{at(p1, 0, 100), at(p1, 0, 100), at(p1, 100, 5)}, 3},
	} {
		if got := runLength(c.blobs); got != c.want {
			t.Errorf("%s: run of %d, want %d", c.name, got, c.want)
		}
	}
}
