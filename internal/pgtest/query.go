package pgtest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Connect opens a connection to database db; it is closed when the test ends.
func (c *Cluster) Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN(db))
	if err != nil {
		t.Fatalf("connect to %s on port %d: %v", db, c.Port, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Exec runs statements in database db.
func (c *Cluster) Exec(t testing.TB, db, sql string, args ...any) {
	t.Helper()
	conn := c.Connect(t, db)
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
	conn.Close(context.Background())
}

// QueryRow scans one row of a query in database db into dest.
func (c *Cluster) QueryRow(t testing.TB, db, sql string, dest ...any) {
	t.Helper()
	conn := c.Connect(t, db)
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), sql).Scan(dest...); err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
}

// Int returns the single integer a query yields.
func (c *Cluster) Int(t testing.TB, db, sql string) int64 {
	t.Helper()
	var n int64
	c.QueryRow(t, db, sql, &n)
	return n
}

// Pgbench runs pgbench against database db (as the test's own user: it is
// only a client). Its output is returned; a failure fails the test.
func (c *Cluster) Pgbench(t testing.TB, db string, args ...string) string {
	t.Helper()
	full := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres"}, args...)
	full = append(full, db)
	out, err := exec.Command(filepath.Join(c.BinDir, "pgbench"), full...).CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// WaitPromoted waits until the server has left recovery (a restore that
// ends with promotion), or fails with the log when it exits instead.
func (c *Cluster) WaitPromoted(t testing.TB, timeout time.Duration) {
	t.Helper()
	if err := c.WaitPromotedErr(timeout); err != nil {
		t.Fatal(err)
	}
}

// WaitPromotedErr is WaitPromoted returning the error.
func (c *Cluster) WaitPromotedErr(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		if c.Exited() {
			return fmt.Errorf("server exited during recovery:\n%s", c.LogTail(25))
		}
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			var inRecovery bool
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
			conn.Close(context.Background())
			if err == nil && !inRecovery {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("still in recovery after %s (%v):\n%s", timeout, last, c.LogTail(25))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitArchived waits until the server reports WAL segment name, or a later
// segment, archived (a backup or history file with a larger name does not
// count), or fails with the log after timeout.
func (c *Cluster) WaitArchived(t testing.TB, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var last string
		c.QueryRow(t, "postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", &last)
		if last >= name && len(last) == len(name) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not archived after %s (last %q):\n%s", name, timeout, last, c.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
