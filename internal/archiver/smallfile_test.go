package archiver_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/restorer"
)

// Small files are batched into shared buffers; the batch boundaries (the
// test repository's average chunk is 64 KiB), empty files, files of
// exactly the minimum chunk size and just above, and more directories than
// the tree saver's queue holds (one small file each, one worker) must all
// come back byte for byte.
func TestSmallFilesRestoreToTheirBytes(t *testing.T) {
	t.Parallel()
	r := newRepo(t) // chunks: min 16 KiB, avg 64 KiB, max 256 KiB
	src := t.TempDir()
	want := map[string][]byte{}
	add := func(rel string, data []byte) {
		write(t, filepath.Join(src, rel), string(data))
		want[rel] = data
	}
	sizes := []int{0, 1, 100, 8191, 16<<10 - 1, 16 << 10, 16<<10 + 1, 300 << 10}
	for i := range 200 {
		add(fmt.Sprintf("mixed/%02d/f%03d", i%7, i), random(uint64(i), sizes[i%len(sizes)]))
	}
	for i := range 600 {
		add(fmt.Sprintf("many/d%03d/only", i), random(uint64(1000+i), 2000+i))
	}
	a, _ := archiver.New(r, archiver.Options{Workers: 1})
	res, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for rel, data := range want {
		total += uint64(len(data))
		n := fileNode(t, r, res.Snapshot, filepath.Join(src, rel))
		if chunks := len(n.Content); len(data) <= 16<<10 && chunks != min(len(data), 1) {
			t.Fatalf("%s (%d bytes): %d chunks, want one (none if empty)", rel, len(data), chunks)
		}
	}
	if got := res.Snapshot.Summary.BytesRead; got != total {
		t.Fatalf("read %d bytes, want %d", got, total)
	}
	out := t.TempDir()
	if _, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, out); err != nil {
		t.Fatal(err)
	}
	for rel, data := range want {
		got, err := os.ReadFile(filepath.Join(out, src, rel))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: restored %d bytes (%v), want the %d original bytes", rel, len(got), err, len(data))
		}
	}

	// Everything read again, one small file changed: one new chunk.
	add("mixed/03/f010", random(77, 5000))
	a, _ = archiver.New(r, archiver.Options{Workers: 2, ReadAll: true})
	again, err := a.Backup(context.Background(), []string{src}, res.Snapshot, &res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s := again.Snapshot.Summary; s.BlobsNew != 1 || s.BytesAdded != 5000 {
		t.Fatalf("re-read with one small file changed: %d new chunks, %d bytes added; want 1 and 5000", s.BlobsNew, s.BytesAdded)
	}
}

// A small file that changes between lstat and read is read again to its
// end: the snapshot holds what was read, and a warning says so.
func TestSmallFileChangedWhileBackedUpIsReadAgain(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	grows, touched := filepath.Join(src, "grows"), filepath.Join(src, "touched")
	write(t, grows, "short")
	write(t, touched, "aaaa")
	final := map[string][]byte{grows: append([]byte("short"), random(9, 40<<10)...), touched: []byte("bbbb")}
	var mu sync.Mutex
	warned := map[string]bool{}
	a, _ := archiver.New(r, archiver.Options{
		// Called after lstat and before the file is opened: the moment to change it.
		FixedChunkSize: func(p string) int {
			if data, ok := final[p]; ok {
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Error(err)
				}
				later := time.Now().Add(time.Hour)
				if err := os.Chtimes(p, later, later); err != nil {
					t.Error(err)
				}
			}
			return 0
		},
		Warn: func(p string, _ error) { mu.Lock(); warned[p] = true; mu.Unlock() },
	})
	res, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, out); err != nil {
		t.Fatal(err)
	}
	for p, data := range final {
		if got, err := os.ReadFile(filepath.Join(out, p)); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: restored %q... (%v), want the file as it was when read", p, got[:min(len(got), 8)], err)
		}
		if n := fileNode(t, r, res.Snapshot, p); n.Size != uint64(len(data)) {
			t.Errorf("%s: node size %d, want %d", p, n.Size, len(data))
		}
		if !warned[p] {
			t.Errorf("%s: no warning about the change", p)
		}
	}
}
