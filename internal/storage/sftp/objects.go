package sftp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
)

// Save writes a temporary file beside the target, syncs it and renames it
// into place, so the object appears whole or not at all.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	s, err := b.conn.get(ctx)
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	target := b.path(name)
	tmp := path.Join(path.Dir(target), tmpPrefix+path.Base(target)+"-"+randomSuffix())
	f, err := s.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if errors.Is(err, fs.ErrNotExist) {
		if err = s.MkdirAll(path.Dir(target)); err == nil {
			f, err = s.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		}
	}
	if err != nil {
		return fmt.Errorf("save %s: create temporary file: %w", name, storage.SaveError(name, err, classify))
	}
	body := storage.CheckSize(&ctxReader{ctx: ctx, r: r}, name, size)
	_, err = f.ReadFromWithConcurrency(body, b.cfg.Concurrency)
	if err == nil && s.fsync && !b.cfg.DisableSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = b.rename(s, tmp, target)
	}
	if err != nil {
		// Best effort: a leftover temporary file is hidden from List.
		_ = s.Remove(tmp)
		return fmt.Errorf("save %s: %w", name, storage.SaveError(name, err, classify))
	}
	return nil
}

// rename moves tmp over target atomically with posix-rename; servers
// without it refuse to rename over a file, so the old one is removed first.
func (b *Backend) rename(s session, tmp, target string) error {
	if s.posixRename {
		return s.PosixRename(tmp, target)
	}
	if err := s.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return s.Rename(tmp, target)
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Open reads length bytes from offset (length < 0: to the end).
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := storage.ValidName(name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if offset < 0 {
		return nil, storage.Permanent(name, fmt.Errorf("open: negative offset %d", offset))
	}
	s, err := b.conn.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	f, err := s.Open(b.path(name))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, classify(name, err))
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, fmt.Errorf("open %s: %w", name, classify(name, err))
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: seek: %w", name, classify(name, err))
	}
	var r io.Reader = f
	if length >= 0 {
		r = io.LimitReader(f, length)
	}
	return &fileReader{r: &ctxReader{ctx: ctx, r: r}, f: f}, nil
}

// fileReader reads through big buffers so that the SFTP client issues its
// requests concurrently even when the caller reads in small pieces.
type fileReader struct {
	r io.Reader
	f io.Closer
}

func (fr *fileReader) Read(p []byte) (int, error) { return fr.r.Read(p) }
func (fr *fileReader) Close() error               { return fr.f.Close() }

// WriteTo lets io.Copy move data in 1 MiB reads.
func (fr *fileReader) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{fr.r}, make([]byte, 1<<20))
}

// ctxReader stops reading once ctx is done; the SFTP client takes no contexts.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Stat returns the file's size and modification time.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := storage.ValidName(name); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	s, err := b.conn.get(ctx)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, err)
	}
	fi, err := s.Stat(b.path(name))
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, classify(name, err))
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// List walks the directory tree below the deepest directory that prefix names.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	s, err := b.conn.get(ctx)
	if err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	start := b.cfg.Path
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = b.path(prefix[:i])
	}
	walker := s.Walk(start)
	for walker.Step() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := walker.Err(); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // the start directory, or one removed meanwhile
			}
			return fmt.Errorf("list %q: %w", prefix, classify(prefix, err))
		}
		fi := walker.Stat()
		name, ok := b.name(walker.Path())
		if !ok {
			continue
		}
		if fi.IsDir() {
			// Skip subtrees that cannot hold a match.
			if !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				walker.SkipDir()
			}
			continue
		}
		if !fi.Mode().IsRegular() || strings.HasPrefix(path.Base(name), tmpPrefix) || !strings.HasPrefix(name, prefix) {
			continue
		}
		if err := fn(storage.ObjectInfo{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the file; directories are never objects.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	s, err := b.conn.get(ctx)
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	p := b.path(name)
	fi, err := s.Lstat(p)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err == nil {
		err = s.Remove(p)
	}
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, classify(name, err))
	}
	return nil
}

var _ storage.Backend = (*Backend)(nil)
