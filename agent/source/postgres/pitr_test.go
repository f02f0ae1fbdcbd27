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
	f.c.CreateMarks(t)
	before := f.c.AddMark(t) // before the first backup ends

	full := f.backup(t, nil, false)
	var marks []pgtest.Mark
	for range 3 {
		f.c.Pgbench(t, "postgres", "-t", "150", "-c", "2", "-n")
		marks = append(marks, f.c.AddMark(t))
	}
	incr := f.backup(t, full, false)
	if incr.Physical.Type != "incremental" || incr.Snapshot.Summary.FilesUnchanged == 0 {
		t.Fatalf("incremental: type %s, %d files unchanged", incr.Physical.Type, incr.Snapshot.Summary.FilesUnchanged)
	}
	for range 3 {
		f.c.Pgbench(t, "postgres", "-t", "150", "-c", "2", "-n")
		marks = append(marks, f.c.AddMark(t))
	}
	final := f.c.AddMark(t)
	waitArchived(t, f.c)

	for _, tc := range []struct {
		m    pgtest.Mark
		want *postgres.BackupResult // the base backup the plan must choose
	}{{marks[1], full}, {marks[3], incr}, {marks[5], incr}} {
		target := postgres.RecoveryTarget{Kind: postgres.TargetTime, Time: tc.m.At}
		plan, err := postgres.PlanRestore(context.Background(), f.r, f.stream, target, nil)
		if err != nil {
			t.Fatalf("plan to mark %d: %v", tc.m.N, err)
		}
		if plan.Backup.ID != tc.want.ID {
			t.Errorf("mark %d: plan chose backup %s, want %s (newest ending before the target)", tc.m.N, plan.Backup.ID.Short(), tc.want.ID.Short())
		}
		rc := f.restore(t, target, nil)
		if n := rc.Int(t, "postgres", "SELECT count(*) FROM marks"); n != tc.m.N {
			t.Errorf("restore to mark %d at %s: %d mark rows", tc.m.N, tc.m.At, n)
		}
		if n := rc.Int(t, "postgres", "SELECT max(id) FROM marks"); n != tc.m.N {
			t.Errorf("restore to mark %d: max id %d", tc.m.N, n)
		}
		// pgbench's invariant holds after replay: the history matches the
		// balances (every transaction is all or nothing).
		var delta, balances int64
		rc.QueryRow(t, "postgres", "SELECT (SELECT coalesce(sum(delta), 0) FROM pgbench_history), (SELECT sum(abalance) FROM pgbench_accounts)", &delta, &balances)
		if delta != balances {
			t.Errorf("restore to mark %d: history sums to %d, balances to %d", tc.m.N, delta, balances)
		}
	}

	// The end of the archive holds everything.
	rc := f.restore(t, postgres.RecoveryTarget{Kind: postgres.TargetEnd}, nil)
	if n := rc.Int(t, "postgres", "SELECT count(*) FROM marks"); n != final.N {
		t.Errorf("restore to the end of the archive: %d marks, want %d", n, final.N)
	}

	// Targets outside the archived window are refused, naming the window.
	for _, at := range []time.Time{before.At, time.Now().Add(time.Hour)} {
		_, err := postgres.PlanRestore(context.Background(), f.r, f.stream, postgres.RecoveryTarget{Kind: postgres.TargetTime, Time: at}, nil)
		want := full.Physical.StopTime.UTC().Format(time.RFC3339Nano)
		if !errors.Is(err, postgres.ErrOutsideWindow) || !strings.Contains(err.Error(), "window is "+want+" .. ") {
			t.Errorf("target %s: %v; want ErrOutsideWindow naming the window from %s", at, err, want)
		}
	}
}
