package restorer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/treetest"
)

const maxChunk = 256 << 10

// newRepo makes a repository with small chunks and packs so that modest test
// files span many chunks and packs.
func newRepo(t *testing.T) (*repo.Repository, storage.Backend) {
	t.Helper()
	be := mem.New()
	kek, err := repo.NewKeyFileKEKFromBytes(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), be, kek, repo.InitOptions{
		PackSize: 1 << 20, ChunkMin: 16 << 10, ChunkAvg: 64 << 10, ChunkMax: maxChunk,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r, be
}

func backup(t *testing.T, r *repo.Repository, parent *archiver.Result, paths ...string) *archiver.Result {
	t.Helper()
	a, err := archiver.New(r, archiver.Options{Hostname: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var psn *repo.Snapshot
	var pid *repo.ID
	if parent != nil {
		psn, pid = parent.Snapshot, &parent.ID
	}
	res, err := a.Backup(context.Background(), paths, psn, pid)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	return res
}

func restore(t *testing.T, r *repo.Repository, sn *repo.Snapshot, opts restorer.Options) (string, error) {
	t.Helper()
	target := t.TempDir()
	_, err := restorer.New(r, opts).Restore(context.Background(), sn, target)
	return target, err
}

func TestRoundTripAwkwardTree(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 300, BigFiles: 2, BigSize: 3<<20 + 12345, Depth: 40, Seed: 1})
	res := backup(t, r, nil, src)
	if res.Snapshot.Summary.BlobsNew < 90 {
		t.Fatalf("expected big files to span many chunks, got %d new blobs", res.Snapshot.Summary.BlobsNew)
	}
	target, err := restore(t, r, res.Snapshot, restorer.Options{})
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	treetest.Compare(t, src, filepath.Join(target, src))
	assertNoTempFiles(t, target)
}

func TestIncrementalReadsOnlyChanges(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 100, BigFiles: 2, BigSize: 2 << 20, Depth: 5, Seed: 2})
	first := backup(t, r, nil, src)
	state1 := copyTree(t, src)

	// Modify, add and delete.
	appendFile(t, filepath.Join(src, "small", "f0003.txt"), "one more line\n")
	if err := os.WriteFile(filepath.Join(src, "small", "added.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, "small", "f0007.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(src, "big")); err != nil {
		t.Fatal(err)
	}
	second := backup(t, r, first, src)
	s := second.Snapshot.Summary
	if s.FilesChanged != 1 || s.FilesNew != 1 {
		t.Errorf("second backup: %d changed, %d new files; want 1 and 1", s.FilesChanged, s.FilesNew)
	}
	if s.BytesRead > 10<<10 {
		t.Errorf("second backup read %d bytes; only the two small changed files should be read", s.BytesRead)
	}
	state2 := copyTree(t, src)

	third := backup(t, r, second, src)
	if got := third.Snapshot.Summary; got.BytesRead != 0 || got.BlobsNew != 0 {
		t.Errorf("unchanged re-backup read %d bytes and added %d blobs; want 0 and 0", got.BytesRead, got.BlobsNew)
	}

	for i, c := range []struct {
		sn   *repo.Snapshot
		want string
	}{{first.Snapshot, state1}, {second.Snapshot, state2}, {third.Snapshot, state2}} {
		target, err := restore(t, r, c.sn, restorer.Options{})
		if err != nil {
			t.Fatalf("restore snapshot %d: %v", i+1, err)
		}
		for _, d := range treetest.Diff(t, c.want, filepath.Join(target, src)) {
			t.Errorf("snapshot %d: %s", i+1, d)
		}
	}
}

func TestRestoreSinglePath(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 20, Depth: 3, Seed: 3})
	res := backup(t, r, nil, src)
	want := filepath.Join(src, "small", "f0005.txt")
	target, err := restore(t, r, res.Snapshot, restorer.Options{Include: []string{want}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(target, want))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(want)
	if !bytes.Equal(got, orig) {
		t.Fatal("restored file differs")
	}
	entries, _ := os.ReadDir(filepath.Join(target, src, "small"))
	if len(entries) != 1 {
		t.Fatalf("restored %d entries in small/, want only the included one", len(entries))
	}
	if _, err := os.Lstat(filepath.Join(target, src, "big")); !os.IsNotExist(err) {
		t.Fatalf("big/ was restored although not included: %v", err)
	}
}

func TestRestoreRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	r, _ := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 5, Seed: 4})
	res := backup(t, r, nil, src)
	target := t.TempDir()
	if _, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, target); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(target, src, "small", "f0001.txt")
	if err := os.WriteFile(victim, []byte("local edit"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, target)
	if !errors.Is(err, restorer.ErrExists) {
		t.Fatalf("second restore without overwrite: got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "local edit" {
		t.Fatal("existing file was changed by a refused restore")
	}
	if _, err := restorer.New(r, restorer.Options{Overwrite: true}).Restore(context.Background(), res.Snapshot, target); err != nil {
		t.Fatalf("restore with overwrite: %v", err)
	}
	treetest.Compare(t, src, filepath.Join(target, src))
}

// A damaged pack must fail the restore with the pack named, and leave no
// file with unauthenticated content under its real name.
func TestRestoreOfTamperedPackFailsCleanly(t *testing.T) {
	t.Parallel()
	r, be := newRepo(t)
	src := t.TempDir()
	big := filepath.Join(src, "big.bin")
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := backup(t, r, nil, src)
	// Damage the last chunk of the file, inside its ciphertext.
	node := findNode(t, r, res.Snapshot.Tree, big)
	loc, ok := r.LookupBlob(repo.DataBlob, node.Content[len(node.Content)-1])
	if !ok {
		t.Fatal("chunk not indexed")
	}
	pack := "data/" + loc.PackID.String()[:2] + "/" + loc.PackID.String()
	flipByte(t, be, pack, int(loc.Offset)+loc.Length/2)
	target, err := restore(t, r, res.Snapshot, restorer.Options{})
	if err == nil {
		t.Fatal("restore of a tampered repository succeeded")
	}
	if !repo.IsCorruption(err) || !strings.Contains(err.Error(), "data/") {
		t.Fatalf("error does not name the damaged pack: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(target, big)); !os.IsNotExist(err) {
		t.Fatalf("a file was left under its real name after failed authentication: %v", err)
	}
	assertNoTempFiles(t, target)
}

func findNode(t *testing.T, r *repo.Repository, tree repo.ID, path string) repo.Node {
	t.Helper()
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, part := range parts {
		tr, err := r.LoadTree(context.Background(), tree)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range tr.Nodes {
			if string(n.Name) == part {
				if i == len(parts)-1 {
					return n
				}
				tree, found = *n.Subtree, true
				break
			}
		}
		if !found {
			t.Fatalf("%s not in snapshot", path)
		}
	}
	t.Fatalf("%s not in snapshot", path)
	return repo.Node{}
}

func flipByte(t *testing.T, be storage.Backend, name string, off int) {
	t.Helper()
	ctx := context.Background()
	rc, err := be.Open(ctx, name, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	b[off%len(b)] ^= 0x01
	if err := be.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := be.Save(ctx, name, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
}

func assertNoTempFiles(t *testing.T, root string) {
	t.Helper()
	_ = filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error {
		if strings.HasPrefix(filepath.Base(p), ".coffer-restore-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// copyTree snapshots a tree's current state with cp -a (metadata included).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
	return dst
}
