package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cofferhq/coffer/internal/storage"
)

// List implements storage.Backend. It walks only the directory named by the
// prefix's complete components and skips temporary files, directories and
// anything that is not a regular file.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	start := b.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = filepath.Join(b.root, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return nil // removed during the walk, or the prefix's directory is absent
			}
			return fmt.Errorf("list %q: %w", prefix, classify(prefix, err, false))
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		rel, err := filepath.Rel(b.root, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if path != start && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), TempPrefix) || !strings.HasPrefix(name, prefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the directory was read
		}
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, classify(name, err, false))
		}
		if err := fn(storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return &callbackError{err}
		}
		return nil
	})
	var cbErr *callbackError
	if errors.As(err, &cbErr) {
		return cbErr.err
	}
	return err
}

// callbackError carries fn's error through WalkDir untouched, so that a
// callback returning fs.SkipDir is not mistaken for a walk instruction.
type callbackError struct{ err error }

func (c *callbackError) Error() string { return c.err.Error() }
