package limit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/limit"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return limit.New(mem.New(), limit.Options{Concurrency: 4, UploadBytesPerSec: 1 << 30, DownloadBytesPerSec: 1 << 30})
	}, storagetest.Options{ObjectCount: 200, LargeObjectSize: 2 << 20})
}

// fakeClock advances only when Sleep is called.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestBandwidthWithFakeClock moves 10 MiB each way at 1 MiB/s and checks
// that the clock says about 10 seconds passed for each direction.
func TestBandwidthWithFakeClock(t *testing.T) {
	t.Parallel()
	const rateBps, size = 1 << 20, 10 << 20
	clock := &fakeClock{now: time.Unix(0, 0)}
	inner := mem.New()
	be := limit.New(inner, limit.Options{
		UploadBytesPerSec: rateBps, DownloadBytesPerSec: rateBps / 2,
		Now: clock.Now, Sleep: clock.Sleep,
	})
	data := bytes.Repeat([]byte("u"), size)

	start := clock.Now()
	if err := be.Save(t.Context(), "obj", bytes.NewReader(data), size); err != nil {
		t.Fatal(err)
	}
	checkRate(t, "upload", size, clock.Now().Sub(start), rateBps)

	start = clock.Now()
	rc, err := be.Open(t.Context(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil || n != size {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	checkRate(t, "download", size, clock.Now().Sub(start), rateBps/2)
}

func checkRate(t *testing.T, what string, size int64, elapsed time.Duration, limit float64) {
	t.Helper()
	got := float64(size) / elapsed.Seconds()
	if got < 0.8*limit || got > 1.2*limit {
		t.Errorf("%s: %d bytes in %v = %.0f B/s, want %.0f B/s ±20%%", what, size, elapsed, got, limit)
	}
}

// TestBandwidthRealClock runs a short bounded upload at a real 2 MiB/s:
// throughput must not exceed the limit by more than 20%. The fake-clock
// test above checks the lower side; here a loaded machine may be slower, so
// the upper bound on time only catches gross over-waiting.
func TestBandwidthRealClock(t *testing.T) {
	const rateBps, size = 2 << 20, 1 << 20 // about half a second
	be := limit.New(mem.New(), limit.Options{UploadBytesPerSec: rateBps, Burst: 32 << 10})
	start := time.Now()
	if err := be.Save(t.Context(), "obj", bytes.NewReader(make([]byte, size)), size); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	want := time.Duration(float64(size-32<<10) / rateBps * float64(time.Second))
	if elapsed < want*8/10 || elapsed > want*10 {
		t.Errorf("uploading %d bytes at %d B/s took %v, want about %v", size, rateBps, elapsed, want)
	}
}

func TestBandwidthWaitHonoursContext(t *testing.T) {
	t.Parallel()
	be := limit.New(mem.New(), limit.Options{UploadBytesPerSec: 1024, Burst: 1024})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := be.Save(ctx, "obj", bytes.NewReader(make([]byte, 1<<20)), 1<<20) // would take 17 minutes
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Save = %v, want the context's deadline error", err)
	}
}

// gatedBackend blocks every Stat until the gate closes and tracks how many
// calls are inside at once.
type gatedBackend struct {
	storage.Backend
	gate           chan struct{}
	inFlight, peak atomic.Int32
}

func (g *gatedBackend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	<-g.gate
	return g.Backend.Stat(ctx, name)
}

func TestConcurrencyLimitNeverExceeded(t *testing.T) {
	t.Parallel()
	inner := &gatedBackend{Backend: mem.New(), gate: make(chan struct{})}
	be := limit.New(inner, limit.Options{Concurrency: 3})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { _, _ = be.Stat(t.Context(), "x") })
	}
	deadline := time.Now().Add(10 * time.Second)
	for inner.inFlight.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // poll
	}
	close(inner.gate)
	wg.Wait()
	if p := inner.peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want exactly the limit 3", p)
	}
}

func TestOpenHoldsSlotUntilClose(t *testing.T) {
	t.Parallel()
	inner := mem.New()
	if err := inner.Save(t.Context(), "obj", bytes.NewReader([]byte("data")), 4); err != nil {
		t.Fatal(err)
	}
	be := limit.New(inner, limit.Options{Concurrency: 2})
	var open []io.ReadCloser
	for range 2 {
		rc, err := be.Open(t.Context(), "obj", 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, rc)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := be.Stat(ctx, "obj"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("third operation with two open readers = %v, want to wait until the deadline", err)
	}
	open[0].Close()
	open[0].Close() // closing twice releases once
	if _, err := be.Stat(t.Context(), "obj"); err != nil {
		t.Errorf("Stat after a reader was closed: %v", err)
	}
	// Still only one slot free: the other reader is open.
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	rc, err := be.Open(ctx2, "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.Stat(ctx2, "obj"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("operation beyond the limit = %v, want to wait", err)
	}
	rc.Close()
	open[1].Close()
}

func TestFailedOpenReleasesSlot(t *testing.T) {
	t.Parallel()
	be := limit.New(mem.New(), limit.Options{Concurrency: 1})
	for range 3 {
		if _, err := be.Open(t.Context(), "missing", 0, -1); !storage.IsNotExist(err) {
			t.Fatalf("Open(missing) = %v, want not-exist", err)
		}
	}
}
