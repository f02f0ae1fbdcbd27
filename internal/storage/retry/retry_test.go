package retry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/retry"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

// fakeClock advances only when Sleep is called.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// setup wraps mem in faulty and retry with a fake clock and no jitter.
func setup(t *testing.T, opts retry.Options, rules ...faulty.Rule) (*retry.Backend, *faulty.Backend, *mem.Backend, *fakeClock) {
	t.Helper()
	inner := mem.New()
	f := faulty.New(inner, rules...)
	clock := newFakeClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 } // jitter factor exactly 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return retry.New(f, opts), f, inner, clock
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		be, _, _, _ := setup(t, retry.Options{})
		return be
	}, storagetest.Options{ObjectCount: 200, LargeObjectSize: 2 << 20})
}

func TestTransientSaveRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	be, f, inner, clock := setup(t, retry.Options{},
		faulty.Rule{Op: faulty.OpSave, Nth: 1, Count: 2, Fault: faulty.FailAfterBytes, Bytes: 3})
	data := []byte("the whole pack")
	if err := be.Save(t.Context(), "data/p", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if n := f.Calls(faulty.OpSave); n != 3 {
		t.Errorf("inner Save called %d times, want 3", n)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second}
	if got := clock.Slept(); !equalDurations(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
	checkContent(t, inner, "data/p", data)
}

func TestNonRetryableErrorsReturnAtOnce(t *testing.T) {
	t.Parallel()
	perm := storage.Permanent("data/p", errors.New("access denied"))
	cases := map[string]struct {
		rule faulty.Rule
		ctx  func() context.Context
		call func(ctx context.Context, be storage.Backend) error
	}{
		"permanent": {
			rule: faulty.Rule{Op: faulty.OpSave, Err: perm},
			call: func(ctx context.Context, be storage.Backend) error {
				return be.Save(ctx, "data/p", strings.NewReader("x"), 1)
			},
		},
		"not exist": {
			call: func(ctx context.Context, be storage.Backend) error {
				_, err := be.Stat(ctx, "missing")
				return err
			},
		},
		"cancelled": {
			rule: faulty.Rule{Op: faulty.OpStat, Err: context.Canceled},
			call: func(ctx context.Context, be storage.Backend) error {
				_, err := be.Stat(ctx, "x")
				return err
			},
		},
		"caller's context done": {
			rule: faulty.Rule{Op: faulty.OpRemove}, // transient, but ctx is done
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			call: func(ctx context.Context, be storage.Backend) error { return be.Remove(ctx, "x") },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rules := []faulty.Rule{}
			if c.rule.Op != faulty.AnyOp {
				rules = append(rules, c.rule)
			}
			be, f, _, clock := setup(t, retry.Options{}, rules...)
			ctx := t.Context()
			if c.ctx != nil {
				ctx = c.ctx()
			}
			if err := c.call(ctx, be); err == nil {
				t.Fatal("call succeeded, want an error")
			}
			if n := f.Calls(faulty.AnyOp); n != 1 {
				t.Errorf("inner called %d times, want 1", n)
			}
			if s := clock.Slept(); len(s) != 0 {
				t.Errorf("slept %v, want no retry", s)
			}
		})
	}
}

func TestMaxAttemptsHonoured(t *testing.T) {
	t.Parallel()
	be, f, _, _ := setup(t, retry.Options{MaxAttempts: 4}, faulty.Rule{Op: faulty.OpStat})
	_, err := be.Stat(t.Context(), "x")
	if !errors.Is(err, faulty.ErrInjected) || !strings.Contains(err.Error(), "4 attempts") {
		t.Errorf("Stat = %v, want ErrInjected after 4 attempts", err)
	}
	if n := f.Calls(faulty.OpStat); n != 4 {
		t.Errorf("inner Stat called %d times, want 4", n)
	}
}

func TestMaxElapsedHonoured(t *testing.T) {
	t.Parallel()
	be, f, _, clock := setup(t, retry.Options{
		InitialDelay: time.Second, MaxElapsed: 3 * time.Second, MaxAttempts: 100,
	}, faulty.Rule{Op: faulty.OpStat})
	if _, err := be.Stat(t.Context(), "x"); !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("Stat = %v, want ErrInjected", err)
	}
	// Delays 1s and 2s fit in 3s; the next (4s) would not.
	if n := f.Calls(faulty.OpStat); n != 3 {
		t.Errorf("inner Stat called %d times, want 3", n)
	}
	if got, want := clock.Slept(), []time.Duration{time.Second, 2 * time.Second}; !equalDurations(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
}

func TestBackoffCappedAndJittered(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rand float64
		want []time.Duration
	}{
		{0.5, []time.Duration{100, 200, 400, 500, 500}}, // jitter factor 1
		{0, []time.Duration{50, 100, 200, 250, 250}},    // lowest: half
		{0.75, []time.Duration{125, 250, 500, 625, 625}},
	} {
		be, _, _, clock := setup(t, retry.Options{
			MaxAttempts: 6, InitialDelay: 100 * time.Millisecond, MaxDelay: 500 * time.Millisecond,
			Rand: func() float64 { return c.rand },
		}, faulty.Rule{Op: faulty.OpStat})
		_, _ = be.Stat(t.Context(), "x")
		want := make([]time.Duration, len(c.want))
		for i, ms := range c.want {
			want[i] = ms * time.Millisecond
		}
		if got := clock.Slept(); !equalDurations(got, want) {
			t.Errorf("rand %v: slept %v, want %v", c.rand, got, want)
		}
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	be, f, _, _ := setup(t, retry.Options{
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() },
	}, faulty.Rule{Op: faulty.OpStat})
	_, err := be.Stat(ctx, "x")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Stat = %v, want context.Canceled", err)
	}
	if n := f.Calls(faulty.OpStat); n != 1 {
		t.Errorf("inner Stat called %d times, want 1", n)
	}
}

func TestRemoveWhoseAnswerWasLost(t *testing.T) {
	t.Parallel()
	inner := mem.New()
	if err := inner.Save(t.Context(), "x", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	be := retry.New(&lostRemoveAnswer{Backend: inner}, retry.Options{
		Now: clock.Now, Sleep: clock.Sleep, Logger: slog.New(slog.DiscardHandler),
	})
	if err := be.Remove(t.Context(), "x"); err != nil {
		t.Errorf("Remove = %v, want success: the first attempt removed it", err)
	}
	// A Remove of an object that never existed still reports it.
	if err := be.Remove(t.Context(), "never"); !storage.IsNotExist(err) {
		t.Errorf("Remove(never) = %v, want not-exist", err)
	}
}

// lostRemoveAnswer removes the object but reports a transient failure the
// first time, like a connection dropped after the server acted.
type lostRemoveAnswer struct {
	storage.Backend
	once sync.Once
}

func (l *lostRemoveAnswer) Remove(ctx context.Context, name string) error {
	err := l.Backend.Remove(ctx, name)
	l.once.Do(func() {
		if err == nil {
			err = errors.New("connection reset by peer")
		}
	})
	return err
}

func TestLogsEachRetryWithoutSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	be, _, _, _ := setup(t, retry.Options{Logger: logger}, faulty.Rule{Op: faulty.OpStat, Count: 2})
	if _, err := be.Stat(t.Context(), "index/abc"); !storage.IsNotExist(err) {
		t.Fatalf("Stat = %v, want not-exist after two retried failures", err)
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["name"] != "index/abc" || rec["op"] != "stat" || rec["attempt"] != float64(i+1) ||
			!strings.Contains(rec["error"].(string), "injected") {
			t.Errorf("log line %d = %s, want name, op, attempt %d and error", i, line, i+1)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func checkContent(t *testing.T, be storage.Backend, name string, want []byte) {
	t.Helper()
	rc, err := be.Open(t.Context(), name, 0, -1)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s holds %q (%v), want %q", name, got, err, want)
	}
}
