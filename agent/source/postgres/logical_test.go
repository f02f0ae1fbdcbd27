package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/agent/source/postgres"
)

// TestLogicalBackupRestoresIntoANewDatabase: pg_dump streamed into the
// repository with its tables and row counts recorded from the dump's own
// snapshot, restored with pg_restore --jobs under a new name.
func TestLogicalBackupRestoresIntoANewDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodLogical, nil)
	f.c.Exec(t, "postgres", "CREATE DATABASE shop")
	f.c.Exec(t, "postgres", "CREATE ROLE clerk")
	f.c.Exec(t, "shop", "CREATE SCHEMA sales")
	f.c.Exec(t, "shop", "CREATE TABLE sales.orders (id int primary key, item text)")
	f.c.Exec(t, "shop", "INSERT INTO sales.orders SELECT g, 'item ' || g FROM generate_series(1, 12345) g")
	f.c.Exec(t, "shop", `CREATE TABLE "Odd Name" (x int)`)
	f.c.Exec(t, "shop", `INSERT INTO "Odd Name" SELECT generate_series(1, 7)`)
	f.c.Exec(t, "shop", "CREATE TABLE parted (id int) PARTITION BY RANGE (id)")
	f.c.Exec(t, "shop", "CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100)")
	f.c.Exec(t, "shop", "INSERT INTO parted SELECT generate_series(0, 99)")
	f.c.Pgbench(t, "postgres", "-i", "-s", "1", "-q")

	res := f.backup(t, nil, false)
	m := res.Logical
	if m == nil || res.Snapshot.Kind != postgres.KindLogical || m.Format != "custom" || !strings.Contains(m.ToolVersion, "pg_dump") {
		t.Fatalf("metadata %+v", m)
	}
	var shop *postgres.DatabaseInfo
	for i := range m.Databases {
		if m.Databases[i].Name == "shop" {
			shop = &m.Databases[i]
		}
	}
	if shop == nil {
		t.Fatalf("databases %+v", m.Databases)
	}
	counts := map[string]int64{}
	for _, tc := range shop.Tables {
		counts[tc.Schema+"."+tc.Name] = tc.Rows
	}
	if counts["sales.orders"] != 12345 || counts["public.Odd Name"] != 7 || counts["public.parted_1"] != 100 {
		t.Fatalf("recorded counts %v", counts)
	}

	out, err := f.src.RestoreLogical(context.Background(), postgres.LogicalRestoreOptions{
		Repo: f.r, Snapshot: res.Snapshot, Database: "shop", TargetDatabase: "shop_copy", Jobs: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tables) != len(shop.Tables) {
		t.Fatalf("checked %d tables", len(out.Tables))
	}
	if n := f.c.Int(t, "shop_copy", "SELECT count(*) FROM sales.orders"); n != 12345 {
		t.Fatalf("shop_copy has %d orders", n)
	}

	// pgbench's database restores too, and an existing target is refused.
	if _, err := f.src.RestoreLogical(context.Background(), postgres.LogicalRestoreOptions{
		Repo: f.r, Snapshot: res.Snapshot, Database: "postgres", TargetDatabase: "bench_copy",
	}); err != nil {
		t.Fatal(err)
	}
	if n := f.c.Int(t, "bench_copy", "SELECT count(*) FROM pgbench_accounts"); n != 100000 {
		t.Fatalf("bench_copy has %d accounts", n)
	}
	_, err = f.src.RestoreLogical(context.Background(), postgres.LogicalRestoreOptions{
		Repo: f.r, Snapshot: res.Snapshot, Database: "shop", TargetDatabase: "shop_copy",
	})
	if !errors.Is(err, postgres.ErrTargetExists) {
		t.Fatalf("restore over an existing database: %v", err)
	}
}

// TestFailingDumpFailsTheBackup: pg_dump writing part of a dump and then
// exiting non-zero fails the backup, names the database and saves no
// snapshot. The failing pg_dump wraps the real one.
func TestFailingDumpFailsTheBackup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodLogical, nil)
	bin := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then exec " + f.c.BinDir + "/pg_dump --version; fi\n" +
		f.c.BinDir + "/pg_dump \"$@\" | head -c 3000\necho 'pg_dump: error: simulated failure' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(bin, "pg_dump"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(f.c.BinDir, "pg_dumpall"), filepath.Join(bin, "pg_dumpall")); err != nil {
		t.Fatal(err)
	}
	f.c.Pgbench(t, "postgres", "-i", "-s", "1", "-q")
	cfg := f.src.Config()
	cfg.BinDir = bin
	src, err := postgres.NewSource(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Backup(context.Background(), postgres.BackupOptions{Repo: f.r})
	if err == nil || !strings.Contains(err.Error(), "pg_dump of database postgres failed") || !strings.Contains(err.Error(), "simulated failure") {
		t.Fatalf("backup with a failing pg_dump: %v", err)
	}
	if list, _ := f.r.ListSnapshots(context.Background()); len(list) != 0 {
		t.Fatalf("%d snapshots after a failed dump", len(list))
	}
}

// TestVerifyRestoresIntoAThrowawayServer: the restore test of a logical
// and of a physical backup passes, and a damaged table count is caught.
func TestVerifyRestoresIntoAThrowawayServer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodLogical, nil)
	f.c.Exec(t, "postgres", "CREATE DATABASE app")
	f.c.Exec(t, "app", "CREATE TABLE items AS SELECT generate_series(1, 4321) AS id")
	logical := f.backup(t, nil, false)
	res, err := postgres.Verify(context.Background(), postgres.VerifyOptions{Repo: f.r, SnapshotID: logical.ID, Snapshot: logical.Snapshot, BinDir: f.c.BinDir})
	if err != nil {
		t.Fatalf("logical restore test: %v", err)
	}
	if res.Rows < 4321 || !contains(res.Databases, "app") {
		t.Fatalf("logical restore test result %+v", res)
	}

	f.src = f.source(t, postgres.MethodPhysical)
	physical := f.backup(t, nil, false)
	res, err = postgres.Verify(context.Background(), postgres.VerifyOptions{
		Repo: f.r, SnapshotID: physical.ID, Snapshot: physical.Snapshot, BinDir: f.c.BinDir, RestoreCommand: f.restoreCommand(t),
	})
	if err != nil {
		t.Fatalf("physical restore test: %v", err)
	}
	if res.Rows < 4321 || !contains(res.Databases, "app") || res.RecoveryTime <= 0 {
		t.Fatalf("physical restore test result %+v", res)
	}

	// The metadata says 4322 rows: the restore test must notice.
	m := *logical.Logical
	m.Databases = append([]postgres.DatabaseInfo(nil), m.Databases...)
	for i := range m.Databases {
		if m.Databases[i].Name == "app" {
			m.Databases[i].Tables = []postgres.TableCount{{Schema: "public", Name: "items", Rows: 4322}}
		}
	}
	sn := *logical.Snapshot
	sn.Metadata, _ = json.Marshal(&m)
	_, err = postgres.Verify(context.Background(), postgres.VerifyOptions{Repo: f.r, SnapshotID: logical.ID, Snapshot: &sn, BinDir: f.c.BinDir})
	if err == nil || !strings.Contains(err.Error(), "public.items has 4321 rows, the backup recorded 4322") {
		t.Fatalf("restore test with a wrong count: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
