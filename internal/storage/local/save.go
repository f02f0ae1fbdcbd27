package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/cofferhq/coffer/internal/storage"
)

// tempFile is the part of *os.File that Save uses; tests substitute one
// that fails like a full disk.
type tempFile interface {
	io.Writer
	Name() string
	Chmod(mode os.FileMode) error
	Sync() error
	Close() error
}

func createTemp(dir string) (tempFile, error) {
	return os.CreateTemp(dir, TempPrefix+"*")
}

var copyBuffers = sync.Pool{New: func() any { return new([1 << 20]byte) }}

// Save implements storage.Backend: temp file, fsync, chmod read-only,
// rename over the final name, fsync the directory.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	path, err := b.path(ctx, name)
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	dir := filepath.Dir(path)
	if err := b.mkdirAll(dir); err != nil {
		return opError("save", name, err, false)
	}
	f, err := b.openTemp(dir)
	if err != nil {
		return opError("save", name, err, false)
	}
	if err := writeTemp(ctx, name, f, r, size); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return opError("save", name, err, false)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return opError("save", name, err, false)
	}
	if err := syncDir(dir); err != nil {
		return opError("save", name, err, false)
	}
	return nil
}

// writeTemp copies r into f, checks the size and makes f durable and
// read-only. It closes f on success.
func writeTemp(ctx context.Context, name string, f tempFile, r io.Reader, size int64) error {
	buf := copyBuffers.Get().(*[1 << 20]byte)
	defer copyBuffers.Put(buf)
	if size >= 0 {
		r = io.LimitReader(r, size+1) // one byte more proves the size wrong
	}
	// writerOnly hides ReadFrom so the large buffer is used.
	n, err := io.CopyBuffer(writerOnly{f}, ctxReader{ctx, r}, buf[:])
	if err != nil {
		return err
	}
	if size >= 0 && n != size {
		return storage.Permanent(name, fmt.Errorf("read %d bytes, want %d", n, size))
	}
	if err := f.Chmod(objectMode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// mkdirAll creates dir and any missing parents below root, fsyncing each
// parent so the new directory entries survive a crash.
func (b *Backend) mkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) || dir == b.root {
		return err
	}
	parent := filepath.Dir(dir)
	if err := b.mkdirAll(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type writerOnly struct{ io.Writer }

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

var _ storage.Backend = (*Backend)(nil)
