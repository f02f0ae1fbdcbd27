package retry

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// Save implements storage.Backend. See the package documentation for which
// readers can be retried.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	body, rewind, err := b.rereadable(r, size)
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if rewind == nil {
		b.opts.Logger.DebugContext(ctx, "storage save will not be retried: reader cannot be re-read",
			"name", name, "size", size)
		return b.inner.Save(ctx, name, body, size)
	}
	return b.do(ctx, "save", name, func(n int) error {
		if n > 1 {
			if err := rewind(); err != nil {
				return &stopError{fmt.Errorf("save %s: rewind reader for retry: %w", name, err)}
			}
		}
		return b.inner.Save(ctx, name, body, size)
	})
}

// rereadable returns a reader for the body and a function that rewinds it
// to its start, or a nil rewind when the body can be read only once.
func (b *Backend) rereadable(r io.Reader, size int64) (io.Reader, func() error, error) {
	if s, ok := r.(io.Seeker); ok {
		if start, err := s.Seek(0, io.SeekCurrent); err == nil {
			return r, func() error { _, err := s.Seek(start, io.SeekStart); return err }, nil
		}
	}
	if ra, ok := r.(io.ReaderAt); ok && size >= 0 {
		sr := io.NewSectionReader(ra, 0, size)
		return sr, func() error { _, err := sr.Seek(0, io.SeekStart); return err }, nil
	}
	limit := b.opts.BufferLimit
	if limit < 0 || size > limit {
		return r, nil, nil
	}
	buf, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("buffer reader for retries: %w", err)
	}
	if int64(len(buf)) > limit {
		return io.MultiReader(bytes.NewReader(buf), r), nil, nil
	}
	br := bytes.NewReader(buf)
	return br, func() error { _, err := br.Seek(0, io.SeekStart); return err }, nil
}
