package local_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/local"
)

var errDropped = errors.New("connection dropped")

// watchingReader serves data and, at every Read, checks what a concurrent
// observer would see under the final name: nothing, or the old content.
// After failAt bytes it fails with errDropped.
type watchingReader struct {
	t      *testing.T
	path   string
	old    []byte // nil: the object must not exist
	data   []byte
	failAt int
	pos    int
}

func (w *watchingReader) Read(p []byte) (int, error) {
	w.t.Helper()
	w.check()
	if w.pos >= w.failAt {
		return 0, errDropped
	}
	n := copy(p[:min(len(p), w.failAt-w.pos)], w.data[w.pos:])
	w.pos += n
	return n, nil
}

func (w *watchingReader) check() {
	got, err := os.ReadFile(w.path)
	switch {
	case w.old == nil && !errors.Is(err, fs.ErrNotExist):
		w.t.Errorf("after %d bytes, %s exists with %d bytes (err %v)", w.pos, w.path, len(got), err)
	case w.old != nil && !bytes.Equal(got, w.old):
		w.t.Errorf("after %d bytes, %s has %d bytes, want the old %d", w.pos, w.path, len(got), len(w.old))
	}
}

// TestFailedSaveLeavesNoPartialObject fails the writer's reader at many
// points, with and without a previous version and with known and unknown
// sizes, and checks that the final name never shows a partial object and
// that no temporary file is left.
func TestFailedSaveLeavesNoPartialObject(t *testing.T) {
	t.Parallel()
	const size = 3<<20 + 123 // more than the 1 MiB copy buffer, unaligned
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	failPoints := []int{0, 1, 4095, 4096, 1<<20 - 1, 1 << 20, 1<<20 + 1, 2 << 20, size - 1}
	for _, failAt := range failPoints {
		for _, withOld := range []bool{false, true} {
			for _, declared := range []int64{size, -1} {
				t.Run(fmt.Sprintf("fail%d/old=%v/size=%d", failAt, withOld, declared), func(t *testing.T) {
					t.Parallel()
					be := newBackend(t)
					name := "data/ab/object"
					path := filepath.Join(be.Dir(), "data", "ab", "object")
					var old []byte
					if withOld {
						old = []byte("the previous, complete version")
						if err := be.Save(t.Context(), name, bytes.NewReader(old), int64(len(old))); err != nil {
							t.Fatal(err)
						}
					}
					r := &watchingReader{t: t, path: path, old: old, data: data, failAt: failAt}
					err := be.Save(t.Context(), name, r, declared)
					if !errors.Is(err, errDropped) {
						t.Fatalf("Save = %v, want the reader's error", err)
					}
					if !strings.Contains(err.Error(), name) {
						t.Errorf("error %q does not name the object", err)
					}
					r.check()
					assertNoTempFiles(t, be.Dir())
				})
			}
		}
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), local.TempPrefix) {
			t.Errorf("temporary file left behind: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSavedObjectIsReadOnlyAtItsPath(t *testing.T) {
	t.Parallel()
	be := newBackend(t)
	if err := be.Save(t.Context(), "config", strings.NewReader("cfg"), 3); err != nil {
		t.Fatal(err)
	}
	if err := be.Save(t.Context(), "data/00/abc", strings.NewReader("pack"), 4); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"config": "cfg", "data/00/abc": "pack"} {
		path := filepath.Join(be.Dir(), filepath.FromSlash(rel))
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode&0o222 != 0 {
			t.Errorf("%s has mode %v, want read-only", rel, mode)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s holds %q, want %q", rel, got, want)
		}
	}
	// Read-only objects can still be replaced and removed.
	if err := be.Save(t.Context(), "config", strings.NewReader("new"), 3); err != nil {
		t.Fatalf("overwrite read-only object: %v", err)
	}
	if err := be.Remove(t.Context(), "config"); err != nil {
		t.Fatalf("remove read-only object: %v", err)
	}
}

func TestRejectsUnsafeNames(t *testing.T) {
	t.Parallel()
	be := newBackend(t)
	outside := filepath.Join(filepath.Dir(be.Dir()), "outside")
	for _, name := range []string{"", "..", "../outside", "a/../../outside", "/etc/passwd", `a\b`, `..\outside`,
		"a//b", "./a", "data/" + local.TempPrefix + "x", local.TempPrefix + "1"} {
		err := be.Save(t.Context(), name, strings.NewReader("x"), 1)
		if err == nil || !storage.IsPermanent(err) {
			t.Errorf("Save(%q) = %v, want a permanent error", name, err)
		}
	}
	if _, err := os.Stat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a name escaped the directory: %s exists", outside)
	}
	entries, err := os.ReadDir(be.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("rejected names created entries: %v", entries)
	}
}

func TestListIgnoresTempFilesAndDirectories(t *testing.T) {
	t.Parallel()
	be := newBackend(t)
	if err := be.Save(t.Context(), "data/ab/obj", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(be.Dir(), "data", "ab")
	if err := os.WriteFile(filepath.Join(dir, local.TempPrefix+"123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(be.Dir(), "data", "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	var names []string
	err := be.List(t.Context(), "", func(info storage.ObjectInfo) error {
		names = append(names, info.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "data/ab/obj" {
		t.Errorf("List = %q, want only data/ab/obj", names)
	}
	// A directory is not an object.
	if _, err := be.Stat(t.Context(), "data/empty"); !storage.IsNotExist(err) {
		t.Errorf("Stat(directory) = %v, want not-exist", err)
	}
	if err := be.Remove(t.Context(), "data/empty"); !storage.IsNotExist(err) {
		t.Errorf("Remove(directory) = %v, want not-exist", err)
	}
	if _, err := os.Stat(filepath.Join(be.Dir(), "data", "empty")); err != nil {
		t.Errorf("Remove(directory) deleted it: %v", err)
	}
}

func TestNewAndCreate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	if _, err := local.New(dir); err == nil {
		t.Error("New on a missing directory succeeded")
	}
	be, err := local.Create(dir)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if be.Location() != "local:"+dir {
		t.Errorf("Location() = %q, want local:%s", be.Location(), dir)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := local.New(file); err == nil {
		t.Error("New on a regular file succeeded")
	}
	// A symlink to the directory works like the directory.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	viaLink, err := local.New(link)
	if err != nil {
		t.Fatal(err)
	}
	if err := viaLink.Save(t.Context(), "x/y", strings.NewReader("z"), 1); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := viaLink.List(t.Context(), "", func(storage.ObjectInfo) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("List through a symlinked root: %d objects, %v", n, err)
	}
}

func TestSaveIntoVanishedDirectoryIsPermanent(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "repo")
	be, err := local.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	err = be.Save(t.Context(), "data/x", strings.NewReader("x"), 1)
	if err == nil || storage.IsNotExist(err) || !storage.IsPermanent(err) {
		t.Errorf("Save into a removed repository directory = %v, want a permanent, not not-exist, error", err)
	}
}

// TestReadAfterOverwriteKeepsOldHandle checks that a reader opened before an
// overwrite keeps reading the old, complete version (rename semantics).
func TestReadAfterOverwriteKeepsOldHandle(t *testing.T) {
	t.Parallel()
	be := newBackend(t)
	old := bytes.Repeat([]byte("o"), 100000)
	if err := be.Save(t.Context(), "obj", bytes.NewReader(old), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	rc, err := be.Open(t.Context(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := be.Save(t.Context(), "obj", strings.NewReader("new"), 3); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, old) {
		t.Errorf("old handle read %d bytes (%v), want the old %d", len(got), err, len(old))
	}
}
