package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/pgtest"
)

// mark is a recorded checkpoint: after the commit of mark row n, the
// database clock read at.
type mark struct {
	n  int64
	at time.Time
}

// addMark inserts one mark row and reads the database clock after its
// commit: a restore to that time holds exactly rows 1..n.
func addMark(t *testing.T, c *pgtest.Cluster) mark {
	t.Helper()
	var m mark
	c.QueryRow(t, "postgres", "INSERT INTO marks DEFAULT VALUES RETURNING id", &m.n)
	m.at = dbNow(t, c)
	return m
}

func waitArchived(t *testing.T, c *pgtest.Cluster) {
	t.Helper()
	var name string
	c.QueryRow(t, "postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())", &name)
	c.Exec(t, "postgres", "SELECT pg_switch_wal()")
	c.WaitArchived(t, name, 60*time.Second)
}

// TestPointInTimeRestore is the scenario: pgbench load, a full
// backup, transactions with recorded (time, row count) marks, an
// incremental, more writes, then restores to several recorded times, each
// holding exactly the rows committed before its target.
func TestPointInTimeRestore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Pgbench(t, "postgres", "-i", "-s", "5", "-q")
	f.c.Exec(t, "postgres", "CREATE TABLE marks (id serial primary key, at timestamptz default clock_timestamp())")
	before := addMark(t, f.c) // before the first backup ends

	full := f.backup(t, nil, false)
	var marks []mark
	for range 3 {
		f.c.Pgbench(t, "postgres", "-t", "150", "-c", "2", "-n")
		marks = append(marks, addMark(t, f.c))
	}
	incr := f.backup(t, full, false)
	if incr.Physical.Type != "incremental" || incr.Snapshot.Summary.FilesUnchanged == 0 {
		t.Fatalf("incremental: type %s, %d files unchanged", incr.Physical.Type, incr.Snapshot.Summary.FilesUnchanged)
	}
	for range 3 {
		f.c.Pgbench(t, "postgres", "-t", "150", "-c", "2", "-n")
		marks = append(marks, addMark(t, f.c))
	}
	final := addMark(t, f.c)
	waitArchived(t, f.c)

	for _, tc := range []struct {
		m    mark
		want *postgres.BackupResult // the base backup the plan must choose
	}{{marks[1], full}, {marks[3], incr}, {marks[5], incr}} {
		target := postgres.RecoveryTarget{Kind: postgres.TargetTime, Time: tc.m.at}
		plan, err := postgres.PlanRestore(context.Background(), f.r, f.stream, target, nil)
		if err != nil {
			t.Fatalf("plan to mark %d: %v", tc.m.n, err)
		}
		if plan.Backup.ID != tc.want.ID {
			t.Errorf("mark %d: plan chose backup %s, want %s (newest ending before the target)", tc.m.n, plan.Backup.ID.Short(), tc.want.ID.Short())
		}
		rc := f.restore(t, target, nil)
		if n := rc.Int(t, "postgres", "SELECT count(*) FROM marks"); n != tc.m.n {
			t.Errorf("restore to mark %d at %s: %d mark rows", tc.m.n, tc.m.at, n)
		}
		if n := rc.Int(t, "postgres", "SELECT max(id) FROM marks"); n != tc.m.n {
			t.Errorf("restore to mark %d: max id %d", tc.m.n, n)
		}
		// pgbench's invariant holds after replay: the history matches the
		// balances (every transaction is all or nothing).
		var delta, balances int64
		rc.QueryRow(t, "postgres", "SELECT (SELECT coalesce(sum(delta), 0) FROM pgbench_history), (SELECT sum(abalance) FROM pgbench_accounts)", &delta, &balances)
		if delta != balances {
			t.Errorf("restore to mark %d: history sums to %d, balances to %d", tc.m.n, delta, balances)
		}
	}

	// The end of the archive holds everything.
	rc := f.restore(t, postgres.RecoveryTarget{Kind: postgres.TargetEnd}, nil)
	if n := rc.Int(t, "postgres", "SELECT count(*) FROM marks"); n != final.n {
		t.Errorf("restore to the end of the archive: %d marks, want %d", n, final.n)
	}

	// Targets outside the archived window are refused, naming the window.
	for _, at := range []time.Time{before.at, time.Now().Add(time.Hour)} {
		_, err := postgres.PlanRestore(context.Background(), f.r, f.stream, postgres.RecoveryTarget{Kind: postgres.TargetTime, Time: at}, nil)
		want := full.Physical.StopTime.UTC().Format(time.RFC3339Nano)
		if !errors.Is(err, postgres.ErrOutsideWindow) || !strings.Contains(err.Error(), "window is "+want+" .. ") {
			t.Errorf("target %s: %v; want ErrOutsideWindow naming the window from %s", at, err, want)
		}
	}
}
