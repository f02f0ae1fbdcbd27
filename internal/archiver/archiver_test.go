package archiver_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/mem"
)

func newRepo(t *testing.T) *repo.Repository {
	t.Helper()
	kek, err := repo.NewKeyFileKEKFromBytes(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), mem.New(), kek, repo.InitOptions{
		PackSize: 1 << 20, ChunkMin: 16 << 10, ChunkAvg: 64 << 10, ChunkMax: 256 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// names lists the entry names of the directory at snapshot path p.
func names(t *testing.T, r *repo.Repository, sn *repo.Snapshot, p string) []string {
	t.Helper()
	id := sn.Tree
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		tr, err := r.LoadTree(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, n := range tr.Nodes {
			if string(n.Name) == part && n.Subtree != nil {
				id, found = *n.Subtree, true
			}
		}
		if !found {
			t.Fatalf("%s not in snapshot", p)
		}
	}
	tr, err := r.LoadTree(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range tr.Nodes {
		out = append(out, string(n.Name))
	}
	return out
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestExcludes(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	for _, p := range []string{"keep.txt", "drop.tmp", "cache/x", "sub/keep.go", "sub/drop.tmp", "sub/deep/cache/y"} {
		write(t, filepath.Join(src, p), p)
	}
	a, err := archiver.New(r, archiver.Options{Excludes: []string{"*.tmp", src + "/cache", "**/deep/cache"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, r, res.Snapshot, src), ","); got != "keep.txt,sub" {
		t.Errorf("top level = %s, want keep.txt,sub", got)
	}
	if got := strings.Join(names(t, r, res.Snapshot, src+"/sub"), ","); got != "deep,keep.go" {
		t.Errorf("sub = %s, want deep,keep.go", got)
	}
	if got := names(t, r, res.Snapshot, src+"/sub/deep"); len(got) != 0 {
		t.Errorf("sub/deep = %v, want empty", got)
	}
}

func TestInvalidExcludeIsRefused(t *testing.T) {
	t.Parallel()
	_, err := archiver.New(newRepo(t), archiver.Options{Excludes: []string{"[unclosed"}})
	if err == nil || !strings.Contains(err.Error(), "[unclosed") {
		t.Fatalf("got %v, want an error naming the pattern", err)
	}
}

func TestUnreadablePathFailsOrIsSkipped(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "a"), "a")
	missing := filepath.Join(src, "missing")

	a, _ := archiver.New(r, archiver.Options{})
	_, err := a.Backup(context.Background(), []string{filepath.Join(src, "a"), missing}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("default policy: got %v, want a failure naming %s", err, missing)
	}

	var skipped []string
	a, _ = archiver.New(r, archiver.Options{OnError: func(p string, _ error) error {
		skipped = append(skipped, p)
		return nil
	}})
	res, err := a.Backup(context.Background(), []string{filepath.Join(src, "a"), missing}, nil, nil)
	if err != nil {
		t.Fatalf("skip policy: %v", err)
	}
	if res.Errors != 1 || len(skipped) != 1 || skipped[0] != missing {
		t.Fatalf("errors=%d skipped=%v, want 1 and [%s]", res.Errors, skipped, missing)
	}
	if got := names(t, r, res.Snapshot, src); len(got) != 1 || got[0] != "a" {
		t.Fatalf("snapshot holds %v, want [a]", got)
	}
}

func TestProgressReachesDone(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	for i := range 20 {
		write(t, filepath.Join(src, "d", string(rune('a'+i))), strings.Repeat("x", 1000*i))
	}
	var mu sync.Mutex
	var last archiver.Progress
	a, _ := archiver.New(r, archiver.Options{Progress: func(p archiver.Progress) {
		mu.Lock()
		last = p
		mu.Unlock()
	}})
	if _, err := a.Backup(context.Background(), []string{src}, nil, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if last.Phase != "done" || last.FilesDone != 20 || last.BytesDone != 190000 || !last.ScanDone || last.BytesTotal != 190000 {
		t.Fatalf("final progress = %+v, want done with 20 files and 190000 bytes", last)
	}
}

func TestCancelledBackupSavesNoSnapshot(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "f"), strings.Repeat("y", 1<<20))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a, _ := archiver.New(r, archiver.Options{})
	if _, err := a.Backup(ctx, []string{src}, nil, nil); err == nil {
		t.Fatal("cancelled backup succeeded")
	}
	list, err := r.ListSnapshots(context.Background())
	if err != nil || len(list) != 0 {
		t.Fatalf("snapshots after cancel: %d (%v), want 0", len(list), err)
	}
}
