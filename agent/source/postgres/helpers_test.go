package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/pgtest"
	"github.com/cofferhq/coffer/internal/repo"
)

// fixture is an archiving cluster, its repository and a source for it.
type fixture struct {
	c      *pgtest.Cluster
	rp     pgtest.Repository
	r      *repo.Repository
	src    *postgres.Source
	stream string
}

func newFixture(t *testing.T, method string, settings map[string]string) *fixture {
	t.Helper()
	f := &fixture{rp: pgtest.NewRepository(t), stream: "main"}
	all := pgtest.ArchiveSettings(t, f.rp, f.stream)
	for k, v := range settings {
		all[k] = v
	}
	f.c = pgtest.New(t, pgtest.Options{Settings: all})
	f.r = f.rp.Open(t)
	f.src = f.source(t, method)
	return f
}

func (f *fixture) source(t *testing.T, method string) *postgres.Source {
	t.Helper()
	src, err := postgres.NewSource(postgres.Config{
		Name: f.stream, Host: "127.0.0.1", Port: f.c.Port, User: "postgres",
		Method: method, DataDir: f.c.DataDir, BinDir: f.c.BinDir, WALTimeoutSeconds: 60,
		Archive: postgres.ArchiveConfig{Coffer: pgtest.CofferBinary(t), Repo: f.rp.Dir, KeyFile: f.rp.KeyFile},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	src.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return src
}

func (f *fixture) backup(t *testing.T, parent *postgres.BackupResult, delta bool) *postgres.BackupResult {
	t.Helper()
	opts := postgres.BackupOptions{Repo: f.r, Delta: delta, Hostname: "test"}
	if parent != nil {
		opts.Parent, opts.ParentID = parent.Snapshot, &parent.ID
	}
	res, err := f.src.Backup(context.Background(), opts)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, f.c.LogTail(15))
	}
	return res
}

func (f *fixture) restoreCommand(t *testing.T) string {
	return postgres.WALFetchCommand(pgtest.CofferBinary(t), f.stream, f.rp.Dir, f.rp.KeyFile)
}

// restore restores to a fresh directory, starts the result and waits
// until it has finished recovery.
func (f *fixture) restore(t *testing.T, target postgres.RecoveryTarget, snapshot *repo.ID) *pgtest.Cluster {
	t.Helper()
	c, err := f.restoreErr(t, target, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) restoreErr(t *testing.T, target postgres.RecoveryTarget, snapshot *repo.ID) (*pgtest.Cluster, error) {
	t.Helper()
	dir := pgtest.TempDir(t, "coffer-restore-")
	data := filepath.Join(dir, "data")
	_, err := postgres.RestorePhysical(context.Background(), postgres.RestoreOptions{
		Repo: f.rp.Open(t), Stream: f.stream, Snapshot: snapshot, Target: data, Recovery: target,
		TablespaceDir: filepath.Join(dir, "tblspc"), RestoreCommand: f.restoreCommand(t), DisableArchiving: true,
	})
	if err != nil {
		return nil, err
	}
	c := pgtest.Existing(t, data, nil)
	c.Start(t)
	c.WaitPromoted(t, 3*time.Minute)
	return c, nil
}

