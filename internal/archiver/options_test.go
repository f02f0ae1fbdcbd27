package archiver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
)

// fileNode returns the node at absolute snapshot path p.
func fileNode(t *testing.T, r *repo.Repository, sn *repo.Snapshot, p string) repo.Node {
	t.Helper()
	dir, base := filepath.Split(p)
	id := sn.Tree
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		if part == "" {
			continue
		}
		tr, err := r.LoadTree(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tr.Nodes {
			if string(n.Name) == part && n.Subtree != nil {
				id = *n.Subtree
			}
		}
	}
	tr, err := r.LoadTree(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tr.Nodes {
		if string(n.Name) == base {
			return n
		}
	}
	t.Fatalf("%s not in snapshot", p)
	return repo.Node{}
}

func random(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestFixedChunksKeepPagesAligned(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	rel := filepath.Join(src, "base", "16384", "1259")
	data := random(1, 5*8192*4+100) // 20 pages and a bit
	write(t, rel, string(data))
	write(t, filepath.Join(src, "other"), string(random(2, 100000)))
	opts := archiver.Options{FixedChunkSize: func(p string) int {
		if strings.Contains(p, "/base/") {
			return 4 * 8192
		}
		return 0
	}}
	a, _ := archiver.New(r, opts)
	first, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := fileNode(t, r, first.Snapshot, rel)
	if len(n.Content) != 6 {
		t.Fatalf("%d chunks, want 5 of 32 KiB and a short last one", len(n.Content))
	}
	// Change one 8 KiB page in the middle: one chunk is new.
	copy(data[3*32768+8192:], random(3, 8192))
	write(t, rel, string(data))
	a, _ = archiver.New(r, opts)
	second, err := a.Backup(context.Background(), []string{src}, first.Snapshot, &first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.Snapshot.Summary.BlobsNew; got != 1 {
		t.Fatalf("a changed page stored %d new chunks, want 1", got)
	}
	if got := second.Snapshot.Summary.FilesUnchanged; got != 1 {
		t.Fatalf("unchanged files %d, want 1 (other)", got)
	}
}

func TestReadAllRereadsFilesWithUnchangedMetadata(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	p := filepath.Join(src, "f")
	write(t, p, "aaaa")
	a, _ := archiver.New(r, archiver.Options{})
	first, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Same size, mtime put back (ctime still moves, so this alone does not
	// prove ReadAll; the unchanged run below does).
	fi, _ := os.Stat(p)
	write(t, p, "bbbb")
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	a, _ = archiver.New(r, archiver.Options{ReadAll: true})
	second, err := a.Backup(context.Background(), []string{src}, first.Snapshot, &first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second.Snapshot.Summary.FilesUnchanged != 0 || second.Snapshot.Summary.BytesRead != 4 || second.Snapshot.Summary.BlobsNew != 1 {
		t.Fatalf("ReadAll summary %+v: want the file read again and its new chunk stored", second.Snapshot.Summary)
	}
	// Nothing changed: everything is read, nothing is stored.
	a, _ = archiver.New(r, archiver.Options{ReadAll: true})
	third, err := a.Backup(context.Background(), []string{src}, second.Snapshot, &second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if third.Snapshot.Summary.BytesRead != 4 || third.Snapshot.Summary.BlobsNew != 0 {
		t.Fatalf("ReadAll of unchanged data: %+v", third.Snapshot.Summary)
	}
}

func TestExcludeFunc(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "pg_wal", "000000010000000000000001"), "wal")
	write(t, filepath.Join(src, "keep"), "k")
	a, _ := archiver.New(r, archiver.Options{ExcludeFunc: func(p string) bool {
		return filepath.Dir(p) == filepath.Join(src, "pg_wal")
	}})
	res, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names(t, r, res.Snapshot, src), ","); got != "keep,pg_wal" {
		t.Fatalf("top level %s", got)
	}
	if got := names(t, r, res.Snapshot, src+"/pg_wal"); len(got) != 0 {
		t.Fatalf("pg_wal holds %v", got)
	}
}

// failingStream yields data and then fails in Close, like a dump command
// exiting non-zero after writing part of its output.
type failingStream struct {
	io.Reader
	err error
}

func (f failingStream) Close() error { return f.err }

func TestStreamsAreSavedAsFilesAndTheirFailureFailsTheBackup(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "a"), "file")
	dump := random(4, 700<<10)
	mtime := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	streams := []archiver.Stream{
		{Path: "/postgres/app.dump", ModTime: mtime, Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(dump)), nil
		}},
		{Path: "/postgres/globals.sql", Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("CREATE ROLE app;\n")), nil
		}},
	}
	a, _ := archiver.New(r, archiver.Options{
		Streams: streams,
		BeforeSnapshot: func(_ context.Context, sn *repo.Snapshot) error {
			sn.Metadata = json.RawMessage(`{"tables":3}`)
			return nil
		},
	})
	res, err := a.Backup(context.Background(), []string{src}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Snapshot.Metadata) != `{"tables":3}` || len(res.Snapshot.Paths) != 3 {
		t.Fatalf("snapshot %+v", res.Snapshot)
	}
	if n := fileNode(t, r, res.Snapshot, "/postgres/app.dump"); n.Size != uint64(len(dump)) || n.ModTimeNs != mtime.UnixNano() {
		t.Fatalf("dump node %+v", n)
	}
	out := t.TempDir()
	if _, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "postgres", "app.dump")); !bytes.Equal(got, dump) {
		t.Fatal("restored dump differs")
	}
	if got, _ := os.ReadFile(filepath.Join(out, "postgres", "globals.sql")); string(got) != "CREATE ROLE app;\n" {
		t.Fatalf("globals %q", got)
	}

	// A stream whose Close reports failure: no snapshot.
	before, _ := r.ListSnapshots(context.Background())
	exit := errors.New("pg_dump: exit status 1")
	a, _ = archiver.New(r, archiver.Options{Streams: []archiver.Stream{{Path: "/x/app.dump", Open: func(context.Context) (io.ReadCloser, error) {
		return failingStream{bytes.NewReader(dump[:1000]), exit}, nil
	}}}})
	if _, err := a.Backup(context.Background(), nil, nil, nil); !errors.Is(err, exit) {
		t.Fatalf("failing stream: %v, want its error", err)
	}
	// BeforeSnapshot refusing: no snapshot either.
	a, _ = archiver.New(r, archiver.Options{BeforeSnapshot: func(context.Context, *repo.Snapshot) error { return exit }})
	if _, err := a.Backup(context.Background(), []string{src}, nil, nil); !errors.Is(err, exit) {
		t.Fatalf("BeforeSnapshot error: %v", err)
	}
	if after, _ := r.ListSnapshots(context.Background()); len(after) != len(before) {
		t.Fatalf("%d snapshots after failures, want %d", len(after), len(before))
	}
	// A stream inside a backed-up path is refused.
	a, _ = archiver.New(r, archiver.Options{Streams: []archiver.Stream{{Path: src + "/inner", Open: streams[1].Open}}})
	if _, err := a.Backup(context.Background(), []string{src}, nil, nil); err == nil {
		t.Fatal("stream inside a backed-up path accepted")
	}
}
