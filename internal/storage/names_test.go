package storage_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

func TestValidName(t *testing.T) {
	t.Parallel()
	good := []string{"config", "data/ab/abcdef", "a.b/c-d_e", "x/..y", "x/y..", ".hidden"}
	for _, name := range good {
		if err := storage.ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", name, err)
		}
	}
	bad := []string{"", "/abs", "..", "../x", "a/../b", "a/..", "./a", "a/./b", "a//b", "a/", `a\b`, "a\x00b"}
	for _, name := range bad {
		err := storage.ValidName(name)
		if err == nil {
			t.Errorf("ValidName(%q) = nil, want error", name)
			continue
		}
		if !storage.IsPermanent(err) {
			t.Errorf("ValidName(%q) = %v, want a permanent error", name, err)
		}
	}
}

func TestValidPrefix(t *testing.T) {
	t.Parallel()
	good := []string{"", "data/", "data/a", "data", "a/b/c", "a/..x", "a/.", "a/.."}
	for _, p := range good {
		if err := storage.ValidPrefix(p); err != nil {
			t.Errorf("ValidPrefix(%q) = %v, want nil", p, err)
		}
	}
	bad := []string{"/", "/data", "../", "../x", "a/../", "a//", `a\`, "a/\\b", "./x"}
	for _, p := range bad {
		if err := storage.ValidPrefix(p); err == nil || !storage.IsPermanent(err) {
			t.Errorf("ValidPrefix(%q) = %v, want a permanent error", p, err)
		}
	}
}
