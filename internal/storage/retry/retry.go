package retry

import (
	"context"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend retries transient failures of an inner storage.Backend.
type Backend struct {
	inner storage.Backend
	opts  Options
}

// New wraps inner with the retry policy in opts.
func New(inner storage.Backend, opts Options) *Backend {
	return &Backend{inner: inner, opts: opts.withDefaults()}
}

// Location implements storage.Backend.
func (b *Backend) Location() string { return b.inner.Location() }

// Close implements storage.Backend.
func (b *Backend) Close() error { return b.inner.Close() }

// retryable reports whether err may go away on another attempt.
func retryable(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() == nil && !storage.IsPermanent(err)
}

// stopError carries an error that must be returned as is, never retried
// (the List callback's).
type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }

// do runs attempt until it succeeds, fails permanently, or the attempt or
// time budget is spent. attempt gets the attempt number, from 1.
func (b *Backend) do(ctx context.Context, op, name string, attempt func(n int) error) error {
	start := b.opts.Now()
	for n := 1; ; n++ {
		err := attempt(n)
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if !retryable(ctx, err) {
			return err
		}
		if n >= b.opts.MaxAttempts {
			return fmt.Errorf("giving up after %d attempts: %w", n, err)
		}
		d := b.opts.delay(n)
		if elapsed := b.opts.Now().Sub(start); elapsed+d > b.opts.MaxElapsed {
			return fmt.Errorf("giving up after %d attempts in %v: %w", n, elapsed.Round(1e6), err)
		}
		b.opts.Logger.WarnContext(ctx, "storage operation failed, will retry",
			"op", op, "name", name, "attempt", n, "delay", d, "error", err)
		if serr := b.opts.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("%s %s: waiting to retry: %w (last error: %v)", op, name, serr, err)
		}
	}
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	var info storage.ObjectInfo
	err := b.do(ctx, "stat", name, func(int) error {
		var err error
		info, err = b.inner.Stat(ctx, name)
		return err
	})
	return info, err
}

// Remove implements storage.Backend. If an attempt after a transient
// failure finds the object gone, the failed attempt most likely removed it
// and only its answer was lost, so that counts as success.
func (b *Backend) Remove(ctx context.Context, name string) error {
	return b.do(ctx, "remove", name, func(n int) error {
		err := b.inner.Remove(ctx, name)
		if n > 1 && storage.IsNotExist(err) {
			return nil
		}
		return err
	})
}

// List implements storage.Backend. Across attempts it remembers the names
// fn has seen, which costs memory proportional to the listing.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	seen := make(map[string]struct{})
	return b.do(ctx, "list", prefix, func(int) error {
		var fnErr error
		err := b.inner.List(ctx, prefix, func(info storage.ObjectInfo) error {
			if _, dup := seen[info.Name]; dup {
				return nil
			}
			seen[info.Name] = struct{}{}
			fnErr = fn(info)
			return fnErr
		})
		if fnErr != nil {
			return &stopError{fnErr}
		}
		return err
	})
}

var _ storage.Backend = (*Backend)(nil)
