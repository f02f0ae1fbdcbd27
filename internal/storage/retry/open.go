package retry

import (
	"context"
	"fmt"
	"io"
)

// Open implements storage.Backend. The returned stream resumes after
// transient read errors by reopening the object at the next unread byte;
// objects are immutable, and the repository authenticates what it reads.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	r := &resumingReader{b: b, ctx: ctx, name: name, offset: offset, left: length}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

type resumingReader struct {
	b      *Backend
	ctx    context.Context
	name   string
	offset int64 // next byte to read
	left   int64 // bytes still wanted; negative: to the end
	rc     io.ReadCloser
	broken error // the current stream failed with this; resume before reading
	final  error // resuming failed for good; every Read returns it
	failed int   // read failures since the last byte read
}

func (r *resumingReader) open() error {
	return r.b.do(r.ctx, "open", r.name, func(int) error {
		rc, err := r.b.inner.Open(r.ctx, r.name, r.offset, r.left)
		if err == nil {
			r.rc = rc
		}
		return err
	})
}

func (r *resumingReader) Read(p []byte) (int, error) {
	for {
		if r.final != nil {
			return 0, r.final
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		if r.broken != nil {
			cause := r.broken
			r.broken = nil
			if err := r.resume(cause); err != nil {
				r.final = err
				return 0, err
			}
		}
		if r.left > 0 && int64(len(p)) > r.left {
			p = p[:r.left]
		}
		n, err := r.rc.Read(p)
		r.offset += int64(n)
		if r.left > 0 {
			r.left -= int64(n)
		}
		if n > 0 {
			r.failed = 0
		}
		if err == nil || err == io.EOF || !retryable(r.ctx, err) {
			return n, err
		}
		r.broken = err
		if n > 0 {
			return n, nil // deliver what arrived; the next Read resumes
		}
	}
}

// resume replaces a failed stream with a new one at the current offset.
func (r *resumingReader) resume(cause error) error {
	r.failed++
	if r.failed >= r.b.opts.MaxAttempts {
		return fmt.Errorf("read %s at offset %d: giving up after %d attempts: %w", r.name, r.offset, r.failed, cause)
	}
	d := r.b.opts.delay(r.failed)
	r.b.opts.Logger.WarnContext(r.ctx, "storage read failed, will resume",
		"name", r.name, "offset", r.offset, "attempt", r.failed, "delay", d, "error", cause)
	_ = r.rc.Close()
	r.rc = io.NopCloser(nil)
	if err := r.b.opts.Sleep(r.ctx, d); err != nil {
		return fmt.Errorf("read %s: waiting to resume: %w (last error: %v)", r.name, err, cause)
	}
	return r.open()
}

func (r *resumingReader) Close() error { return r.rc.Close() }
