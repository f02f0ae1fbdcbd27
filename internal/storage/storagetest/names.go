package storagetest

import (
	"bytes"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// testInvalidNames checks that names which could escape a directory or a
// key prefix are refused with a permanent error and store nothing.
func (s *suite) testInvalidNames(t *testing.T) {
	be := s.backend(t)
	for _, name := range []string{"", "/abs", "..", "../escape", "a/../b", "a/..", "./a", "a//b", "a/"} {
		err := be.Save(t.Context(), name, bytes.NewReader([]byte("x")), 1)
		if err == nil || !storage.IsPermanent(err) {
			t.Errorf("Save(%q) = %v, want a permanent error", name, err)
		}
		if _, err := be.Stat(t.Context(), name); err == nil {
			t.Errorf("Stat(%q) succeeded, want an error", name)
		}
		if rc, err := be.Open(t.Context(), name, 0, -1); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded, want an error", name)
		}
		if err := be.Remove(t.Context(), name); err == nil {
			t.Errorf("Remove(%q) succeeded, want an error", name)
		}
	}
	if got := s.listAll(t, be, ""); len(got) != 0 {
		t.Errorf("invalid names stored objects: %v", got)
	}
}
