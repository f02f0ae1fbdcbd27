package local

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// FuzzPathStaysInside checks that every name the backend accepts maps to a
// path strictly inside its directory that reads back as the same name, and
// that every refusal is permanent. Names come from callers and, through
// List, from whatever is on disk.
func FuzzPathStaysInside(f *testing.F) {
	for _, seed := range []string{"config", "data/ab/abcdef", "..", "../x", "a/../b", "/etc", `a\..\b`,
		"a//b", "./a", "a/", "", ".coffer-tmp-1", "x/..y", "\x00", "a/.", "...", ". ."} {
		f.Add(seed)
	}
	const root = "/srv/repo"
	b := &Backend{root: root}
	f.Fuzz(func(t *testing.T, name string) {
		path, err := b.path(context.Background(), name)
		if err != nil {
			if !storage.IsPermanent(err) {
				t.Fatalf("path(%q) error %v is not permanent", name, err)
			}
			return
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			t.Fatalf("name %q maps to %s, outside %s", name, path, root)
		}
		if filepath.ToSlash(rel) != name {
			t.Fatalf("name %q maps to %s, which lists as %q", name, path, filepath.ToSlash(rel))
		}
	})
}
