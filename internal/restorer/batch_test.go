package restorer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
	"github.com/cofferhq/coffer/internal/treetest"
)

// Files larger than a batch (written by several workers), many small files
// sharing batches and runs, and the same content in several files (one blob
// delivered to many places) restore exactly, also with Sync.
func TestRoundTripBatchesAndDuplicates(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 400, BigFiles: 2, BigSize: 9<<20 + 4321, Depth: 3, Seed: 11})
	same := bytes.Repeat([]byte("duplicate content\n"), 5000)
	for _, name := range []string{"dup1", "dup2", "dup3"} {
		if err := os.WriteFile(filepath.Join(src, name), same, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "empty"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res := backup(t, r, nil, src)
	for _, sync := range []bool{false, true} {
		target, err := restore(t, r, res.Snapshot, restorer.Options{Sync: sync, Workers: 3})
		if err != nil {
			t.Fatalf("restore (sync %v): %v", sync, err)
		}
		treetest.Compare(t, src, filepath.Join(target, src))
		assertNoTempFiles(t, target)
	}
}

// Damage to one chunk of a file that shares its batch and pack run with
// others fails the restore naming the pack and leaves that file absent.
func TestRestoreDamageInsideRunFailsCleanly(t *testing.T) {
	t.Parallel()
	r, be := newRepo(t)
	src := t.TempDir()
	var names []string
	for i := range 30 {
		name := filepath.Join(src, "f"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
		if err := os.WriteFile(name, bytes.Repeat([]byte{byte(i), 'q'}, 3000+i), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	res := backup(t, r, nil, src)
	victim := names[15]
	node := findNode(t, r, res.Snapshot.Tree, victim)
	loc, ok := r.LookupBlob(repo.DataBlob, node.Content[0])
	if !ok {
		t.Fatal("chunk not indexed")
	}
	pack := "data/" + loc.PackID.String()[:2] + "/" + loc.PackID.String()
	flipByte(t, be, pack, int(loc.Offset)+loc.Length/2)
	target, err := restore(t, r, res.Snapshot, restorer.Options{Workers: 1})
	if err == nil {
		t.Fatal("restore of a damaged chunk succeeded")
	}
	if !repo.IsCorruption(err) || !strings.Contains(err.Error(), pack) || !strings.Contains(err.Error(), node.Content[0].String()) {
		t.Fatalf("error does not name the damaged pack and chunk: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(target, victim)); !os.IsNotExist(err) {
		t.Fatalf("the damaged file exists under its real name: %v", err)
	}
	assertNoTempFiles(t, target)
}

// Without overwrite, an existing file or directory at a restored path is
// refused and left alone; with it, a file is replaced and a directory
// reported.
func TestRestoreExistingEntries(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "a"), []byte("restored"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := backup(t, r, nil, src)
	target := t.TempDir()
	dst := filepath.Join(target, src, "a")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, target)
	if !errors.Is(err, restorer.ErrExists) {
		t.Fatalf("directory in the way without overwrite: %v, want ErrExists", err)
	}
	_, err = restorer.New(r, restorer.Options{Overwrite: true}).Restore(context.Background(), res.Snapshot, target)
	if err == nil || !strings.Contains(err.Error(), "directory is in the way") {
		t.Fatalf("directory in the way with overwrite: %v", err)
	}
	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent", dst); err != nil {
		t.Fatal(err)
	}
	if _, err := restorer.New(r, restorer.Options{Overwrite: true}).Restore(context.Background(), res.Snapshot, target); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "restored" {
		t.Fatalf("symlink not replaced by the file: %q, %v", b, err)
	}
	assertNoTempFiles(t, target)
}
