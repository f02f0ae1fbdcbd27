package storagetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

func (s *suite) testLocation(t *testing.T) {
	be := s.backend(t)
	loc := be.Location()
	if loc == "" {
		t.Fatal("Location() is empty")
	}
	s.noSecrets(t, "Location()", loc)
}

func (s *suite) testRoundTrip(t *testing.T) {
	be := s.backend(t)
	for i, size := range []int{1, 100, 4096, 64<<10 + 3, 1<<20 + 17} {
		name := fmt.Sprintf("roundtrip/%d", size)
		data := randomBytes(uint64(i+1), size)
		s.save(t, be, name, data)
		s.wantContent(t, be, name, data)
	}
}

func (s *suite) testUnknownSize(t *testing.T) {
	be := s.backend(t)
	for i, size := range []int{0, 1, 70000} {
		name := fmt.Sprintf("unknown/%d", size)
		data := randomBytes(uint64(i+10), size)
		// Hide Len and Seek so the driver must stream.
		r := struct{ *bytes.Buffer }{bytes.NewBuffer(data)}
		if err := be.Save(t.Context(), name, r, -1); err != nil {
			t.Fatalf("Save(%q, size -1): %v", name, err)
		}
		s.wantContent(t, be, name, data)
		info, err := be.Stat(t.Context(), name)
		if err != nil {
			t.Fatalf("Stat(%q): %v", name, err)
		}
		if info.Size != int64(size) {
			t.Errorf("Stat(%q).Size = %d, want %d", name, info.Size, size)
		}
	}
}

func (s *suite) testZeroByte(t *testing.T) {
	be := s.backend(t)
	s.save(t, be, "empty", nil)
	info, err := be.Stat(t.Context(), "empty")
	if err != nil {
		t.Fatalf("Stat(empty): %v", err)
	}
	if info.Size != 0 || info.Name != "empty" {
		t.Errorf("Stat(empty) = %+v, want name empty, size 0", info)
	}
	s.wantContent(t, be, "empty", nil)
	if got := s.load(t, be, "empty", 0, 10); len(got) != 0 {
		t.Errorf("Open(empty, 0, 10) returned %d bytes", len(got))
	}
	if got := s.listAll(t, be, ""); len(got) != 1 || got["empty"] != 0 {
		t.Errorf("List() = %v, want just empty with size 0", got)
	}
}

func (s *suite) testRangedReads(t *testing.T) {
	be := s.backend(t)
	data := randomBytes(3, 10000)
	s.save(t, be, "ranged", data)
	size := int64(len(data))
	cases := []struct{ offset, length, from, to int64 }{
		{0, -1, 0, size},                  // everything
		{0, 1, 0, 1},                      // first byte
		{0, 0, 0, 0},                      // nothing
		{1234, 100, 1234, 1334},           // middle
		{1234, -1, 1234, size},            // to the end
		{size - 1, 1, size - 1, size},     // last byte
		{size - 10, 100, size - 10, size}, // past the end: what exists
		{size, -1, size, size},            // at the end: nothing
		{size, 5, size, size},             // at the end with a length
		{size + 100, 5, size, size},       // beyond the end: nothing
	}
	for _, c := range cases {
		got := s.load(t, be, "ranged", c.offset, c.length)
		if want := data[c.from:c.to]; !bytes.Equal(got, want) {
			t.Errorf("Open(ranged, %d, %d): got %d bytes %s, want %d bytes %s",
				c.offset, c.length, len(got), short(got), len(want), short(want))
		}
	}
}

func (s *suite) testStat(t *testing.T) {
	be := s.backend(t)
	before := time.Now()
	data := randomBytes(4, 777)
	s.save(t, be, "stat/obj", data)
	info, err := be.Stat(t.Context(), "stat/obj")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Name != "stat/obj" || info.Size != 777 {
		t.Errorf("Stat = %+v, want name stat/obj, size 777", info)
	}
	if info.ModTime.IsZero() {
		t.Error("Stat: ModTime is zero")
	}
	// Servers may have coarse clocks or small skew; a day is a sanity bound.
	if d := info.ModTime.Sub(before); d < -24*time.Hour || d > 24*time.Hour {
		t.Errorf("Stat: ModTime %v is far from now (%v)", info.ModTime, before)
	}
}

func (s *suite) testRemove(t *testing.T) {
	be := s.backend(t)
	s.save(t, be, "remove/a", []byte("a"))
	s.save(t, be, "remove/b", []byte("b"))
	if err := be.Remove(t.Context(), "remove/a"); err != nil {
		t.Fatalf("Remove(remove/a): %v", err)
	}
	s.wantAbsent(t, be, "remove/a")
	s.wantContent(t, be, "remove/b", []byte("b"))
	err := be.Remove(t.Context(), "remove/a")
	if !storage.IsNotExist(err) {
		t.Fatalf("second Remove(remove/a) = %v, want a not-exist error", err)
	}
	if got := s.listAll(t, be, "remove/"); len(got) != 1 {
		t.Errorf("List(remove/) = %v, want only remove/b", got)
	}
	// A removed name can be saved again.
	s.save(t, be, "remove/a", []byte("again"))
	s.wantContent(t, be, "remove/a", []byte("again"))
}

func (s *suite) testNotExist(t *testing.T) {
	be := s.backend(t)
	s.save(t, be, "present/x", []byte("x"))
	for _, name := range []string{"missing", "present/y", "present/x/below", "missing/deep/name"} {
		rc, err := be.Open(t.Context(), name, 0, -1)
		if err == nil {
			rc.Close()
		}
		s.checkNotExist(t, "Open", name, err)
		_, err = be.Stat(t.Context(), name)
		s.checkNotExist(t, "Stat", name, err)
		err = be.Remove(t.Context(), name)
		s.checkNotExist(t, "Remove", name, err)
	}
	// A prefix ("directory") is not an object.
	_, err := be.Stat(t.Context(), "present")
	s.checkNotExist(t, "Stat", "present", err)
}

func (s *suite) checkNotExist(t *testing.T, op, name string, err error) {
	t.Helper()
	switch {
	case !storage.IsNotExist(err):
		t.Errorf("%s(%q) = %v, want a not-exist error", op, name, err)
	case !bytes.Contains([]byte(err.Error()), []byte(name)):
		t.Errorf("%s(%q) error %q does not name the object", op, name, err)
	}
	s.noSecretsErr(t, err)
}
