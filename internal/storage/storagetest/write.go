package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

func (s *suite) testOverwrite(t *testing.T) {
	be := s.backend(t)
	first, second := randomBytes(5, 3000), randomBytes(6, 1000)
	s.save(t, be, "over", first)
	err := be.Save(t.Context(), "over", bytes.NewReader(second), int64(len(second)))
	if s.opts.Immutable {
		if err == nil || !storage.IsPermanent(err) {
			t.Fatalf("Save over an existing object on an immutable backend = %v, want a permanent error", err)
		}
		s.noSecretsErr(t, err)
		s.wantContent(t, be, "over", first)
		return
	}
	if err != nil {
		t.Fatalf("Save over an existing object: %v", err)
	}
	s.wantContent(t, be, "over", second)
	info, err := be.Stat(t.Context(), "over")
	if err != nil || info.Size != int64(len(second)) {
		t.Errorf("Stat after overwrite = %+v, %v; want size %d", info, err, len(second))
	}
}

func (s *suite) testWrongSize(t *testing.T) {
	be := s.backend(t)
	data := randomBytes(7, 5000)
	for _, c := range []struct {
		name string
		size int64
	}{
		{"short-by-one", 5001},
		{"short", 1 << 20},
		{"long-by-one", 4999},
		{"long", 10},
		{"empty-claimed", 0},
	} {
		err := be.Save(t.Context(), c.name, bytes.NewReader(data), c.size)
		if err == nil {
			t.Errorf("Save(%q) of %d bytes with size %d succeeded, want an error", c.name, len(data), c.size)
		}
		s.noSecretsErr(t, err)
		s.wantAbsent(t, be, c.name)
	}
	if got := s.listAll(t, be, ""); len(got) != 0 {
		t.Errorf("failed saves left objects behind: %v", got)
	}
}

func (s *suite) testFailingReader(t *testing.T) {
	be := s.backend(t)
	data := randomBytes(8, 200000)
	for _, c := range []struct {
		name string
		fail int
		size int64
	}{
		{"fail-at-start", 0, int64(len(data))},
		{"fail-midway", 100000, int64(len(data))},
		{"fail-before-last-byte", len(data) - 1, int64(len(data))},
		{"fail-midway-unknown-size", 100000, -1},
	} {
		err := be.Save(t.Context(), c.name, &failingReader{data: data, n: c.fail}, c.size)
		if err == nil {
			t.Errorf("Save(%q) with a reader failing after %d bytes succeeded", c.name, c.fail)
		}
		s.wantAbsent(t, be, c.name)
	}
	if got := s.listAll(t, be, ""); len(got) != 0 {
		t.Errorf("failed saves left objects behind: %v", got)
	}
}

// testFailingReaderKeepsOld checks that a failed overwrite keeps the old
// content: replacement is atomic.
func (s *suite) testFailingReaderKeepsOld(t *testing.T) {
	be := s.backend(t)
	old := randomBytes(9, 4000)
	s.save(t, be, "keep", old)
	data := randomBytes(10, 9000)
	if err := be.Save(t.Context(), "keep", &failingReader{data: data, n: 5000}, int64(len(data))); err == nil {
		t.Fatal("Save with a failing reader succeeded")
	}
	s.wantContent(t, be, "keep", old)
}

func (s *suite) testContextCancelled(t *testing.T) {
	be := s.backend(t)
	s.save(t, be, "ctx/present", []byte("data"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want an error wrapping context.Canceled", op, err)
		}
	}
	check("Save", be.Save(ctx, "ctx/new", bytes.NewReader([]byte("x")), 1))
	rc, err := be.Open(ctx, "ctx/present", 0, -1)
	if err == nil {
		// Some drivers only notice on the first read.
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	check("Open", err)
	_, err = be.Stat(ctx, "ctx/present")
	check("Stat", err)
	check("List", be.List(ctx, "", func(storage.ObjectInfo) error { return nil }))
	check("Remove", be.Remove(ctx, "ctx/present"))

	s.wantAbsent(t, be, "ctx/new")
	s.wantContent(t, be, "ctx/present", []byte("data"))
}

// cancelAfter yields data and cancels the context once n bytes are read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	if c.n > 0 && int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

func (s *suite) testContextCancelledMidSave(t *testing.T) {
	be := s.backend(t)
	const size = 1 << 20
	for _, declared := range []int64{size, -1} {
		ctx, cancel := context.WithCancel(t.Context())
		r := &cancelAfter{r: bytes.NewReader(randomBytes(11, size)), n: size / 4, cancel: cancel}
		err := be.Save(ctx, "midcancel", r, declared)
		cancel()
		if err == nil {
			t.Errorf("Save (size %d) whose context was cancelled midway succeeded", declared)
		}
		s.wantAbsent(t, be, "midcancel")
	}
}
