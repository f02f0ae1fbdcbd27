package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/pgtest"
)

// digest is a checksum of every user table's contents in database db.
func digest(t *testing.T, c *pgtest.Cluster, db string) map[string]string {
	t.Helper()
	conn := c.Connect(t, db)
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	out := map[string]string{}
	for _, tb := range tables {
		var sum string
		if err := conn.QueryRow(ctx, "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM "+tb+" x").Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out[tb] = sum
	}
	conn.Close(ctx)
	return out
}

func sameDigest(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: table %s is %q, want %q", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected table %s", what, k)
		}
	}
}

// TestIncrementalAfterEveryKindOfChange: updates, deletes, new and dropped
// tables, VACUUM FULL (new relfilenodes) and a new tablespace, then an
// incremental backup restored to its consistency point must equal the
// source, while unchanged files were reused unread and changed relation
// files cost only their changed page chunks.
func TestIncrementalAfterEveryKindOfChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Exec(t, "postgres", "CREATE TABLE keep (id int primary key, v text)")
	f.c.Exec(t, "postgres", "INSERT INTO keep SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 40000) g")
	f.c.Exec(t, "postgres", "CREATE TABLE upd (id int primary key, v text)")
	f.c.Exec(t, "postgres", "INSERT INTO upd SELECT g, md5(g::text) FROM generate_series(1, 40000) g")
	f.c.Exec(t, "postgres", "CREATE TABLE doomed (id int)")
	f.c.Exec(t, "postgres", "INSERT INTO doomed SELECT generate_series(1, 1000)")
	f.c.Exec(t, "postgres", "CREATE TABLE bloat (id int, v text)")
	f.c.Exec(t, "postgres", "INSERT INTO bloat SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
	f.c.Exec(t, "postgres", "CREATE DATABASE other")
	f.c.Exec(t, "other", "CREATE TABLE o (id int)")
	f.c.Exec(t, "other", "INSERT INTO o SELECT generate_series(1, 500)")
	f.c.Exec(t, "postgres", "CHECKPOINT")

	full := f.backup(t, nil, false)

	// One page of upd changes; the rest of the file does not.
	f.c.Exec(t, "postgres", "UPDATE upd SET v = 'changed' WHERE id = 20000")
	f.c.Exec(t, "postgres", "DELETE FROM bloat WHERE id % 2 = 0")
	f.c.Exec(t, "postgres", "VACUUM FULL bloat")
	f.c.Exec(t, "postgres", "DROP TABLE doomed")
	f.c.Exec(t, "postgres", "CREATE TABLE fresh AS SELECT g AS id FROM generate_series(1, 3000) g")
	tsDir := pgtest.TempDir(t, "coffer-ts-")
	f.c.Exec(t, "postgres", "CREATE TABLESPACE ts LOCATION '"+tsDir+"'")
	f.c.Exec(t, "postgres", "CREATE TABLE spaced (id int, v text) TABLESPACE ts")
	f.c.Exec(t, "postgres", "INSERT INTO spaced SELECT g, md5(g::text) FROM generate_series(1, 5000) g")
	f.c.Exec(t, "postgres", "CHECKPOINT")
	want, wantOther := digest(t, f.c, "postgres"), digest(t, f.c, "other")

	incr := f.backup(t, full, false)
	s := incr.Snapshot.Summary
	if s.FilesUnchanged == 0 || s.BytesRead >= full.Snapshot.Summary.BytesRead {
		t.Errorf("incremental read %d bytes (full read %d), %d files unchanged: want most files reused unread",
			s.BytesRead, full.Snapshot.Summary.BytesRead, s.FilesUnchanged)
	}
	if len(incr.Physical.Tablespaces) != 1 || incr.Physical.Tablespaces[0].Location != tsDir || incr.Physical.TablespaceMap == "" {
		t.Fatalf("tablespaces %+v map %q", incr.Physical.Tablespaces, incr.Physical.TablespaceMap)
	}
	// A delta backup re-reads everything but stores only what changed
	// since (nothing: the same data again, apart from the few files
	// PostgreSQL touches by itself).
	delta := f.backup(t, incr, true)
	if delta.Physical.Type != "delta" || delta.Snapshot.Summary.FilesUnchanged != 0 ||
		delta.Snapshot.Summary.BytesRead < s.BytesTotal/2 || delta.Snapshot.Summary.BytesAdded > s.BytesTotal/10 {
		t.Errorf("delta summary %+v", delta.Snapshot.Summary)
	}

	rc := f.restore(t, postgres.RecoveryTarget{Kind: postgres.TargetImmediate}, &incr.ID)
	sameDigest(t, "postgres", digest(t, rc, "postgres"), want)
	sameDigest(t, "other", digest(t, rc, "other"), wantOther)
	// The tablespace was relocated and its link points there.
	var loc string
	rc.QueryRow(t, "postgres", "SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts'", &loc)
	if loc == tsDir || !strings.Contains(loc, "tblspc") {
		t.Fatalf("restored tablespace location %s: want a relocated copy, not the source's %s", loc, tsDir)
	}
	if _, err := os.Stat(filepath.Join(loc, filepath.Base(mustGlob(t, tsDir+"/PG_*")))); err != nil {
		t.Fatalf("relocated tablespace: %v", err)
	}
}

// TestChangedPageCostsOneChunk: with page-aligned chunks, updating a
// single row of a large table makes the incremental upload about one
// chunk of that table, not the whole file.
func TestChangedPageCostsOneChunk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Exec(t, "postgres", "CREATE TABLE big (id int primary key, v text) WITH (fillfactor = 100)")
	f.c.Exec(t, "postgres", "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 300000) g") // ~20 MiB
	f.c.Exec(t, "postgres", "VACUUM FREEZE big")
	f.c.Exec(t, "postgres", "CHECKPOINT")
	full := f.backup(t, nil, false)
	f.c.Exec(t, "postgres", "UPDATE big SET v = 'x' WHERE id = 150000")
	f.c.Exec(t, "postgres", "CHECKPOINT")
	incr := f.backup(t, full, false)
	var relSize int64
	f.c.QueryRow(t, "postgres", "SELECT pg_relation_size('big')", &relSize)
	added := incr.Snapshot.Summary.BytesAdded
	t.Logf("table %d bytes; full stored %d new bytes; incremental read %d, stored %d new bytes",
		relSize, full.Snapshot.Summary.BytesAdded, incr.Snapshot.Summary.BytesRead, added)
	// Catalogs, the index, the visibility map and control files change
	// too; the heap itself must not be stored again.
	if added > uint64(relSize)/4 {
		t.Fatalf("incremental after one UPDATE stored %d new bytes; the table is %d bytes", added, relSize)
	}
}

func mustGlob(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("glob %s: %v %v", pattern, m, err)
	}
	return m[0]
}
