package limit

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

// Options configures the limits. Zero means unlimited.
type Options struct {
	Concurrency         int   // operations in flight at once
	UploadBytesPerSec   int64 // Save bodies, over all concurrent saves
	DownloadBytesPerSec int64 // Open streams, over all concurrent reads
	// Burst is the token bucket size in bytes, the most that may pass at
	// once (default: a tenth of the rate, between 4 KiB and 1 MiB).
	Burst int

	Now   func() time.Time                           // default time.Now
	Sleep func(context.Context, time.Duration) error // default: a timer that honours ctx
}

// Backend limits the calls made to an inner storage.Backend.
type Backend struct {
	inner    storage.Backend
	sem      chan struct{} // nil: no concurrency limit
	upload   *bandwidth    // nil: unlimited
	download *bandwidth
}

// New wraps inner with the limits in opts.
func New(inner storage.Backend, opts Options) *Backend {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	b := &Backend{
		inner:    inner,
		upload:   newBandwidth(opts.UploadBytesPerSec, opts),
		download: newBandwidth(opts.DownloadBytesPerSec, opts),
	}
	if opts.Concurrency > 0 {
		b.sem = make(chan struct{}, opts.Concurrency)
	}
	return b
}

func (b *Backend) acquire(ctx context.Context, op, name string) error {
	if b.sem == nil {
		return nil
	}
	select {
	case b.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s %s: waiting for a free connection slot: %w", op, name, ctx.Err())
	}
}

func (b *Backend) release() {
	if b.sem != nil {
		<-b.sem
	}
}

// Location implements storage.Backend.
func (b *Backend) Location() string { return b.inner.Location() }

// Close implements storage.Backend.
func (b *Backend) Close() error { return b.inner.Close() }

// Save implements storage.Backend.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := b.acquire(ctx, "save", name); err != nil {
		return err
	}
	defer b.release()
	return b.inner.Save(ctx, name, b.upload.reader(ctx, r), size)
}

// Open implements storage.Backend. The slot is released when the returned
// reader is closed.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := b.acquire(ctx, "open", name); err != nil {
		return nil, err
	}
	rc, err := b.inner.Open(ctx, name, offset, length)
	if err != nil {
		b.release()
		return nil, err
	}
	return &slotReader{Reader: b.download.reader(ctx, rc), rc: rc, release: b.release}, nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := b.acquire(ctx, "stat", name); err != nil {
		return storage.ObjectInfo{}, err
	}
	defer b.release()
	return b.inner.Stat(ctx, name)
}

// List implements storage.Backend.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := b.acquire(ctx, "list", prefix); err != nil {
		return err
	}
	defer b.release()
	return b.inner.List(ctx, prefix, fn)
}

// Remove implements storage.Backend.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := b.acquire(ctx, "remove", name); err != nil {
		return err
	}
	defer b.release()
	return b.inner.Remove(ctx, name)
}

// slotReader closes the inner stream and gives the slot back, once.
type slotReader struct {
	io.Reader
	rc      io.Closer
	release func()
	once    sync.Once
}

func (s *slotReader) Close() error {
	err := s.rc.Close()
	s.once.Do(s.release)
	return err
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

var _ storage.Backend = (*Backend)(nil)
