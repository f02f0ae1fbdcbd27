package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend records metrics for the calls made to an inner storage.Backend.
type Backend struct {
	inner storage.Backend
	m     *Metrics
	name  string
}

// Wrap returns inner with metrics labelled backend=name (for example "s3",
// or a storage location's configured name; never a URL with credentials).
func (m *Metrics) Wrap(inner storage.Backend, name string) *Backend {
	return &Backend{inner: inner, m: m, name: name}
}

// op is one call being measured.
type op struct {
	b     *Backend
	label string
	start time.Time
}

func (b *Backend) begin(label string) op {
	b.m.requests.WithLabelValues(b.name, label).Inc()
	return op{b: b, label: label, start: b.m.now()}
}

// end observes the latency and counts a failure.
func (o op) end(err error) {
	o.b.m.latency.WithLabelValues(o.b.name, o.label).Observe(o.b.m.now().Sub(o.start).Seconds())
	o.fail(err)
}

func (o op) fail(err error) {
	if err != nil && err != io.EOF && !storage.IsNotExist(err) && !errors.Is(err, context.Canceled) {
		o.b.m.errors.WithLabelValues(o.b.name, o.label).Inc()
	}
}

// Location implements storage.Backend.
func (b *Backend) Location() string { return b.inner.Location() }

// Close implements storage.Backend.
func (b *Backend) Close() error { return b.inner.Close() }

// Save implements storage.Backend.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	o := b.begin("save")
	err := b.inner.Save(ctx, name, &countingReader{r: r, c: b.m.uploaded.WithLabelValues(b.name, "save")}, size)
	o.end(err)
	return err
}

// Open implements storage.Backend. Read errors on the stream count as
// errors of "open".
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	o := b.begin("open")
	rc, err := b.inner.Open(ctx, name, offset, length)
	o.end(err)
	if err != nil {
		return nil, err
	}
	return &countingReadCloser{
		countingReader: countingReader{r: rc, c: b.m.downloaded.WithLabelValues(b.name, "open"), o: &o},
		rc:             rc,
	}, nil
}

// Stat implements storage.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	o := b.begin("stat")
	info, err := b.inner.Stat(ctx, name)
	o.end(err)
	return info, err
}

// List implements storage.Backend. Its latency includes the time fn takes.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	o := b.begin("list")
	err := b.inner.List(ctx, prefix, fn)
	o.end(err)
	return err
}

// Remove implements storage.Backend.
func (b *Backend) Remove(ctx context.Context, name string) error {
	o := b.begin("remove")
	err := b.inner.Remove(ctx, name)
	o.end(err)
	return err
}

type countingReader struct {
	r io.Reader
	c prometheus.Counter
	o *op // nil: read errors are not counted here
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.c.Add(float64(n))
	}
	if err != nil && c.o != nil {
		c.o.fail(err)
		c.o = nil // count one failure per stream
	}
	return n, err
}

type countingReadCloser struct {
	countingReader
	rc io.Closer
}

func (c *countingReadCloser) Close() error { return c.rc.Close() }

var _ storage.Backend = (*Backend)(nil)
