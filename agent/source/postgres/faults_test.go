package postgres_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/pgtest"
	"github.com/cofferhq/coffer/internal/repo"
)

// TestCancelledBackupStopsBackupMode: a backup cancelled while copying
// calls pg_backup_stop on its way out, saves no snapshot, and the next
// backup succeeds.
func TestCancelledBackupStopsBackupMode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, map[string]string{"log_statement": "'all'"})
	f.c.Exec(t, "postgres", "CREATE TABLE t AS SELECT generate_series(1, 10000) AS id")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := f.src.Backup(ctx, postgres.BackupOptions{Repo: f.r, Progress: func(p postgres.Progress) {
		if p.Phase == "copy" {
			cancel() // backup mode is on: pg_backup_start has returned
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	log := f.c.Log()
	if !strings.Contains(log, "pg_backup_start") || !strings.Contains(log, "SELECT pg_backup_stop(false)") {
		t.Fatalf("pg_backup_stop was not called after the cancelled backup:\n%s", f.c.LogTail(20))
	}
	if strings.Contains(log, "aborting backup due to backend exiting") {
		t.Fatal("the server had to abort the backup itself")
	}
	if list, _ := f.r.ListSnapshots(context.Background()); len(list) != 0 {
		t.Fatalf("%d snapshots after a cancelled backup", len(list))
	}
	f.backup(t, nil, false)
}

// TestCorruptedWALDetectedBeforeReplay: a damaged segment in the
// repository is found while validating the restore (nothing is written),
// and if the restore skips that check, wal-fetch refuses the segment and
// PostgreSQL stops recovery instead of promoting without it.
func TestCorruptedWALDetectedBeforeReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Exec(t, "postgres", "CREATE TABLE t AS SELECT generate_series(1, 1000) AS id")
	res := f.backup(t, nil, false)
	obj := filepath.Join(f.rp.Dir, "wal", f.stream, "00000001", res.Physical.StopWAL)
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	os.Chmod(obj, 0o600)
	if err := os.WriteFile(obj, data, 0o600); err != nil {
		t.Fatal(err)
	}
	objName := "wal/" + f.stream + "/00000001/" + res.Physical.StopWAL

	dir := pgtest.TempDir(t, "coffer-restore-")
	target := filepath.Join(dir, "data")
	opts := postgres.RestoreOptions{
		Repo: f.r, Stream: f.stream, Target: target, Recovery: postgres.RecoveryTarget{Kind: postgres.TargetEnd},
		RestoreCommand: f.restoreCommand(t), DisableArchiving: true, VerifyWAL: true,
	}
	_, err = postgres.RestorePhysical(context.Background(), opts)
	if !repo.IsCorruption(err) || !strings.Contains(err.Error(), objName) {
		t.Fatalf("restore with a damaged segment: %v; want corruption naming %s", err, objName)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatal("files were restored although validation failed")
	}

	opts.VerifyWAL = false
	if _, err := postgres.RestorePhysical(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	rc := pgtest.Existing(t, target, nil)
	if err := rc.StartErr(); err == nil {
		if err := rc.WaitPromotedErr(60e9); err == nil {
			t.Fatal("the restored server promoted without the damaged segment")
		}
	}
	log := rc.Log()
	if !strings.Contains(log, objName) || !strings.Contains(log, "corrupt") {
		t.Fatalf("server log does not name the damaged segment:\n%s", rc.LogTail(20))
	}
}
