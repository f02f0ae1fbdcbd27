package gcs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	cstorage "github.com/cofferhq/coffer/internal/storage"
)

// Save streams r into a resumable upload; the object is finalized, and
// becomes visible, only when the writer closes cleanly.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := cstorage.ValidName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	// Cancelling the writer's context is how the client aborts an upload.
	// ChunkSize must stay above zero: a chunked upload is finalized only by
	// the request Close sends, which a cancelled context stops, whereas a
	// single streamed request could complete with the bytes sent so far.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := b.bucket.Object(b.key(name)).NewWriter(ctx)
	w.ChunkSize = b.cfg.ChunkSize
	w.ChunkRetryDeadline = b.cfg.ChunkRetryDeadline
	w.StorageClass = b.cfg.StorageClass
	if _, err := io.Copy(w, cstorage.CheckSize(r, name, size)); err != nil {
		cancel()
		_ = w.Close()
		return fmt.Errorf("save %s: %w", name, cstorage.SaveError(name, err, classify))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("save %s: %w", name, cstorage.SaveError(name, err, classify))
	}
	return nil
}

// Open reads length bytes from offset (length < 0: to the end).
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := cstorage.ValidName(name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if offset < 0 {
		return nil, cstorage.Permanent(name, fmt.Errorf("open: negative offset %d", offset))
	}
	if length == 0 {
		if _, err := b.Stat(ctx, name); err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	rc, err := b.bucket.Object(b.key(name)).NewRangeReader(ctx, offset, length)
	if err != nil {
		if httpStatus(err) == http.StatusRequestedRangeNotSatisfiable {
			// The object exists but ends before offset.
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("open %s: %w", name, classify(name, err))
	}
	return rc, nil
}

// Stat returns the object's size and update time.
func (b *Backend) Stat(ctx context.Context, name string) (cstorage.ObjectInfo, error) {
	if err := cstorage.ValidName(name); err != nil {
		return cstorage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	attrs, err := b.bucket.Object(b.key(name)).Attrs(ctx)
	if err != nil {
		return cstorage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, classify(name, err))
	}
	return cstorage.ObjectInfo{Name: name, Size: attrs.Size, ModTime: attrs.Updated}, nil
}

// List pages through the objects under prefix.
func (b *Backend) List(ctx context.Context, prefix string, fn func(cstorage.ObjectInfo) error) error {
	if err := cstorage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	q := &storage.Query{Prefix: b.key(prefix)}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated"}); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	it := b.bucket.Objects(ctx, q)
	if b.cfg.ListPageSize > 0 {
		it.PageInfo().MaxSize = b.cfg.ListPageSize
	}
	for {
		attrs, err := it.Next()
		if err == iterator.Done {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, classify(prefix, err))
		}
		name, ok := b.name(attrs.Name)
		if !ok {
			continue
		}
		if err := fn(cstorage.ObjectInfo{Name: name, Size: attrs.Size, ModTime: attrs.Updated}); err != nil {
			return err
		}
	}
}

// Remove deletes the object; a retention policy or hold makes it fail with a
// permanent error.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := cstorage.ValidName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := b.bucket.Object(b.key(name)).Delete(ctx); err != nil {
		return fmt.Errorf("remove %s: %w", name, classify(name, err))
	}
	return nil
}

var _ cstorage.Backend = (*Backend)(nil)
