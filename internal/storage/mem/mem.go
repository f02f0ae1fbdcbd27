package mem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend is an in-memory storage.Backend. The zero value is not usable;
// call New.
type Backend struct {
	now       func() time.Time
	immutable bool

	mu      sync.RWMutex
	objects map[string]object
	closed  bool
}

type object struct {
	data    []byte // never modified after Save; readers share it
	modTime time.Time
}

// Option configures a Backend.
type Option func(*Backend)

// WithClock sets the clock used for ModTime (default time.Now).
func WithClock(now func() time.Time) Option { return func(b *Backend) { b.now = now } }

// WithImmutable makes Save refuse to replace an existing object with a
// permanent error, like a bucket with object lock.
func WithImmutable() Option { return func(b *Backend) { b.immutable = true } }

// New returns an empty in-memory backend.
func New(opts ...Option) *Backend {
	b := &Backend{now: time.Now, objects: make(map[string]object)}
	for _, o := range opts {
		o(b)
	}
	return b
}

var (
	errClosed = errors.New("mem backend is closed")
	errExists = errors.New("object exists and the backend is immutable")
)

// Location implements storage.Backend.
func (b *Backend) Location() string { return "mem:" }

// Save implements storage.Backend. It reads r fully before storing, so an
// error from r or a size mismatch never leaves an object behind.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := b.check(ctx, name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size))
	}
	if size >= 0 {
		r = io.LimitReader(r, size+1) // one byte more proves the size wrong
	}
	if _, err := buf.ReadFrom(ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("save %s: read: %w", name, err)
	}
	if size >= 0 && int64(buf.Len()) != size {
		return fmt.Errorf("save: %w", storage.Permanent(name, fmt.Errorf("read %d bytes, want %d", buf.Len(), size)))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("save: %w", storage.Permanent(name, errClosed))
	}
	if _, ok := b.objects[name]; ok && b.immutable {
		return fmt.Errorf("save: %w", storage.Permanent(name, errExists))
	}
	b.objects[name] = object{data: buf.Bytes(), modTime: b.now()}
	return nil
}

// Open implements storage.Backend.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := b.check(ctx, name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if offset < 0 {
		return nil, storage.Permanent(name, fmt.Errorf("negative offset %d", offset))
	}
	o, err := b.get(name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	data := o.data[min(offset, int64(len(o.data))):]
	if length >= 0 && length < int64(len(data)) {
		data = data[:length]
	}
	return io.NopCloser(bytes.NewReader(data)), nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := b.check(ctx, name); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	o, err := b.get(name)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	return storage.ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.modTime}, nil
}

// List implements storage.Backend. It calls fn on a snapshot taken without
// holding the lock, so fn may call back into the backend. Names come in
// lexical order, which callers must not rely on.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return storage.Permanent(prefix, errClosed)
	}
	var infos []storage.ObjectInfo
	for name, o := range b.objects {
		if strings.HasPrefix(name, prefix) {
			infos = append(infos, storage.ObjectInfo{Name: name, Size: int64(len(o.data)), ModTime: o.modTime})
		}
	}
	b.mu.RUnlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements storage.Backend.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := b.check(ctx, name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("remove: %w", storage.Permanent(name, errClosed))
	}
	if _, ok := b.objects[name]; !ok {
		return fmt.Errorf("remove: %w", storage.NotExist(name, nil))
	}
	delete(b.objects, name)
	return nil
}

// Close implements storage.Backend. Later calls fail; stored data is dropped.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.objects = nil
	return nil
}

func (b *Backend) check(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return storage.ValidName(name)
}

func (b *Backend) get(name string) (object, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return object{}, storage.Permanent(name, errClosed)
	}
	o, ok := b.objects[name]
	if !ok {
		return object{}, storage.NotExist(name, nil)
	}
	return o, nil
}

// ctxReader stops a Save whose context is cancelled mid-stream.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
