package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cofferhq/coffer/internal/rawfile"
	"github.com/cofferhq/coffer/internal/storage"
)

var errIsDir = errors.New("is a directory, not an object")

// Open implements storage.Backend.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	path, err := b.path(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("open: %w", storage.Permanent(name, fmt.Errorf("negative offset %d", offset)))
	}
	f, err := rawfile.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, opError("open", name, err, true)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = storage.NotExist(name, errIsDir)
	}
	if err != nil {
		_ = f.Close()
		return nil, opError("open", name, err, true)
	}
	if length < 0 {
		length = max(fi.Size()-offset, 0)
	}
	// Positioned reads: no seek, and one system call per read.
	return &limitedFile{Reader: io.NewSectionReader(f, offset, length), f: f}, nil
}

type limitedFile struct {
	io.Reader
	f *os.File
}

func (l *limitedFile) Close() error { return l.f.Close() }

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	path, err := b.path(ctx, name)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = storage.NotExist(name, errIsDir)
	}
	if err != nil {
		return storage.ObjectInfo{}, opError("stat", name, err, true)
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Remove implements storage.Backend. A directory is not an object, so
// removing one reports not-exist instead of deleting it. The directory is
// fsynced so that a removal the caller ordered before another (manifest
// before packs) cannot be undone by a crash while the later one persists.
func (b *Backend) Remove(ctx context.Context, name string) error {
	path, err := b.path(ctx, name)
	if err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	fi, err := os.Lstat(path)
	if err == nil && fi.IsDir() {
		err = storage.NotExist(name, errIsDir)
	}
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		return opError("remove", name, err, true)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return opError("remove", name, err, false)
	}
	return nil
}
