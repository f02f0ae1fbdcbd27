package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/agent/source/postgres"
)

func TestPhysicalFullBackupRestoresToConsistencyPoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Exec(t, "postgres", "CREATE TABLE t (id int primary key, v text)")
	f.c.Exec(t, "postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g")
	f.c.Exec(t, "postgres", "CREATE UNLOGGED TABLE scratch (x int)")
	f.c.Exec(t, "postgres", "INSERT INTO scratch SELECT generate_series(1, 100)")

	res := f.backup(t, nil, false)
	m := res.Physical
	if m == nil || m.Timeline != 1 || m.StartLSN == 0 || m.StopLSN <= m.StartLSN || !strings.Contains(m.BackupLabel, "START WAL LOCATION") ||
		m.StopTime.Before(m.StartTime) || m.Type != "full" || res.Snapshot.Kind != postgres.KindPhysical {
		t.Fatalf("metadata %+v", m)
	}
	decoded, err := postgres.DecodeMeta(res.Snapshot)
	if err != nil || decoded.Physical.StopWAL != m.StopWAL {
		t.Fatalf("snapshot metadata: %+v, %v", decoded, err)
	}
	// Writes after the backup are not in a restore to its consistency point.
	f.c.Exec(t, "postgres", "INSERT INTO t VALUES (999999, 'after')")

	rc := f.restore(t, postgres.RecoveryTarget{Kind: postgres.TargetImmediate}, nil)
	if !strings.Contains(rc.Log(), "restored log file \""+m.StartWAL+"\" from archive") {
		t.Fatalf("recovery did not fetch %s through restore_command:\n%s", m.StartWAL, rc.LogTail(20))
	}
	if n := rc.Int(t, "postgres", "SELECT count(*) FROM t"); n != 5000 {
		t.Fatalf("restored %d rows, want 5000", n)
	}
	if n := rc.Int(t, "postgres", "SELECT count(*) FROM scratch"); n != 0 {
		t.Fatalf("unlogged table has %d rows after restore, want 0 (reset from its init fork)", n)
	}
	// The restored server does not archive into the source's stream.
	var mode string
	rc.QueryRow(t, "postgres", "SHOW archive_mode", &mode)
	if mode != "off" {
		t.Fatalf("restored archive_mode %s", mode)
	}
	if _, err := f.r.ListLogSegments(context.Background(), f.stream); err != nil {
		t.Fatal(err)
	}
}
