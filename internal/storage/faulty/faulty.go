package faulty

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend is a storage.Backend that injects faults into calls to inner.
type Backend struct {
	inner storage.Backend

	mu    sync.Mutex
	rules []*rule
	calls map[Op]int
	sleep func(context.Context, time.Duration) error
}

// New wraps inner with the given rules.
func New(inner storage.Backend, rules ...Rule) *Backend {
	b := &Backend{inner: inner, calls: make(map[Op]int), sleep: sleepCtx}
	for _, r := range rules {
		b.Add(r)
	}
	return b
}

// Add appends a rule; rules apply in the order added.
func (b *Backend) Add(r Rule) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules = append(b.rules, &rule{Rule: r})
}

// Clear removes all rules.
func (b *Backend) Clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules = nil
}

// SetSleep replaces the function Delay faults wait with (default: a timer
// that honours the context), so tests can record delays instead.
func (b *Backend) SetSleep(sleep func(context.Context, time.Duration) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sleep = sleep
}

// Calls returns how many calls of op were made, affected or not; AnyOp
// counts all.
func (b *Backend) Calls(op Op) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if op == AnyOp {
		n := 0
		for _, c := range b.calls {
			n += c
		}
		return n
	}
	return b.calls[op]
}

// faults is the outcome of matching one call.
type faults struct {
	fail      error
	cutAfter  int64 // -1: none
	cutErr    error
	flipAt    int64 // -1: none
	delays    []time.Duration
	sleepFunc func(context.Context, time.Duration) error
}

func (b *Backend) match(op Op, name string) faults {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls[op]++
	f := faults{cutAfter: -1, flipAt: -1, sleepFunc: b.sleep}
	for _, r := range b.rules {
		if !r.hit(op, name) {
			continue
		}
		switch r.Fault {
		case Fail:
			if f.fail == nil {
				f.fail = r.err()
			}
		case FailAfterBytes:
			if f.cutAfter < 0 || r.Bytes < f.cutAfter {
				f.cutAfter, f.cutErr = r.Bytes, r.err()
			}
		case FlipBit:
			f.flipAt = r.Bytes
		case Delay:
			f.delays = append(f.delays, r.Delay)
		}
	}
	return f
}

// before waits the delays and returns the injected failure, if any.
func (f faults) before(ctx context.Context, op Op, name string) error {
	for _, d := range f.delays {
		if err := f.sleepFunc(ctx, d); err != nil {
			return fmt.Errorf("%s %s: %w", op, name, err)
		}
	}
	if f.fail != nil {
		return fmt.Errorf("%s %s: %w", op, name, f.fail)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Location implements storage.Backend.
func (b *Backend) Location() string { return "faulty:" + b.inner.Location() }

// Close implements storage.Backend.
func (b *Backend) Close() error { return b.inner.Close() }

// Save implements storage.Backend.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	f := b.match(OpSave, name)
	if err := f.before(ctx, OpSave, name); err != nil {
		return err
	}
	if f.cutAfter >= 0 {
		r = &cutReader{r: r, left: f.cutAfter, err: f.cutErr}
	}
	return b.inner.Save(ctx, name, r, size)
}

// Open implements storage.Backend.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	f := b.match(OpOpen, name)
	if err := f.before(ctx, OpOpen, name); err != nil {
		return nil, err
	}
	rc, err := b.inner.Open(ctx, name, offset, length)
	if err != nil {
		return nil, err
	}
	var r io.Reader = rc
	if f.flipAt >= offset {
		r = &flipReader{r: r, at: f.flipAt - offset}
	}
	if f.cutAfter >= 0 {
		r = &cutReader{r: r, left: f.cutAfter, err: f.cutErr}
	}
	return readCloser{Reader: r, Closer: rc}, nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := b.match(OpStat, name).before(ctx, OpStat, name); err != nil {
		return storage.ObjectInfo{}, err
	}
	return b.inner.Stat(ctx, name)
}

// List implements storage.Backend.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	f := b.match(OpList, prefix)
	if err := f.before(ctx, OpList, prefix); err != nil {
		return err
	}
	if f.cutAfter < 0 {
		return b.inner.List(ctx, prefix, fn)
	}
	delivered := int64(0)
	return b.inner.List(ctx, prefix, func(info storage.ObjectInfo) error {
		if delivered >= f.cutAfter {
			return fmt.Errorf("list %q: %w", prefix, f.cutErr)
		}
		delivered++
		return fn(info)
	})
}

// Remove implements storage.Backend.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := b.match(OpRemove, name).before(ctx, OpRemove, name); err != nil {
		return err
	}
	return b.inner.Remove(ctx, name)
}

var _ storage.Backend = (*Backend)(nil)
