package restorer_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/retry"
	"github.com/cofferhq/coffer/internal/treetest"
)

// Pack uploads that fail mid-stream (a dropped connection) are retried by
// the retry wrapper, so the backup completes and restores exactly.
func TestBackupSurvivesDroppedPackUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	flaky := faulty.New(mem.New(),
		faulty.Rule{Op: faulty.OpSave, Prefix: "data/", Nth: 1, Count: 2, Fault: faulty.FailAfterBytes, Bytes: 1000},
		faulty.Rule{Op: faulty.OpSave, Prefix: "index/", Nth: 1, Count: 1, Fault: faulty.Fail})
	be := retry.New(flaky, retry.Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		// No buffering: only a rewindable pack reader can be retried.
		BufferLimit: 1,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	kek, err := repo.NewKeyFileKEKFromBytes(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(ctx, be, kek, repo.InitOptions{PackSize: 1 << 20, ChunkMin: 16 << 10, ChunkAvg: 64 << 10, ChunkMax: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 20, BigFiles: 2, BigSize: 3 << 20, Seed: 30})
	a, err := archiver.New(r, archiver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Backup(ctx, []string{src}, nil, nil)
	if err != nil {
		t.Fatalf("backup with dropped uploads: %v", err)
	}
	if n := flaky.Calls(faulty.OpSave); n < 3 {
		t.Fatalf("only %d saves: the faults were not exercised", n)
	}
	target := t.TempDir()
	if _, err := restorer.New(r, restorer.Options{}).Restore(ctx, res.Snapshot, target); err != nil {
		t.Fatal(err)
	}
	treetest.Compare(t, src, filepath.Join(target, src))
	var problems []repo.Problem
	if _, err := r.Check(ctx, repo.CheckOptions{ReadData: true}, func(p repo.Problem) { problems = append(problems, p) }); err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !p.Warning {
			t.Errorf("check: %v", p)
		}
	}
}
