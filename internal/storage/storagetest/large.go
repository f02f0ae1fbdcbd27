package storagetest

import (
	"crypto/sha256"
	"io"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

const largeSeed = 4242

func (s *suite) testLarge(t *testing.T) {
	be := s.backend(t)
	size := s.opts.LargeObjectSize
	r := io.LimitReader(newStream(largeSeed), size)
	if err := be.Save(t.Context(), "large/known", r, size); err != nil {
		t.Fatalf("Save(large/known, %d bytes): %v", size, err)
	}
	s.checkLarge(t, be, "large/known", size)
}

func (s *suite) testLargeUnknownSize(t *testing.T) {
	be := s.backend(t)
	size := s.opts.LargeObjectSize
	r := io.LimitReader(newStream(largeSeed), size)
	if err := be.Save(t.Context(), "large/unknown", r, -1); err != nil {
		t.Fatalf("Save(large/unknown, size -1): %v", err)
	}
	s.checkLarge(t, be, "large/unknown", size)
}

func (s *suite) checkLarge(t *testing.T, be storage.Backend, name string, size int64) {
	t.Helper()
	info, err := be.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	if info.Size != size {
		t.Fatalf("Stat(%q).Size = %d, want %d", name, info.Size, size)
	}
	ranges := []struct{ offset, length int64 }{
		{0, -1},
		{size/2 - 1000, size / 3}, // across a likely part boundary
		{size - 100, -1},          // the tail
		{5<<20 - 1, 2},            // around S3's 5 MiB minimum part
	}
	for _, rg := range ranges {
		if rg.offset < 0 || rg.offset > size {
			continue
		}
		want := rg.length
		if want < 0 || rg.offset+want > size {
			want = size - rg.offset
		}
		rc, err := be.Open(t.Context(), name, rg.offset, rg.length)
		if err != nil {
			t.Fatalf("Open(%q, %d, %d): %v", name, rg.offset, rg.length, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %q at %d: %v", name, rg.offset, err)
		}
		if n != want {
			t.Fatalf("Open(%q, %d, %d) read %d bytes, want %d", name, rg.offset, rg.length, n, want)
		}
		if [32]byte(h.Sum(nil)) != streamHash(largeSeed, rg.offset, want) {
			t.Fatalf("Open(%q, %d, %d): content differs from what was saved", name, rg.offset, rg.length)
		}
	}
}

// testLargeFailingReader fails the upload halfway through a large object,
// after a multipart upload has sent some parts, and checks nothing appears.
func (s *suite) testLargeFailingReader(t *testing.T) {
	be := s.backend(t)
	size := s.opts.LargeObjectSize
	for _, declared := range []int64{size, -1} {
		r := &failAfter{r: newStream(largeSeed), n: size * 3 / 4}
		if err := be.Save(t.Context(), "large/failed", r, declared); err == nil {
			t.Fatalf("Save (size %d) with a reader failing at 3/4 succeeded", declared)
		}
		s.wantAbsent(t, be, "large/failed")
	}
}
