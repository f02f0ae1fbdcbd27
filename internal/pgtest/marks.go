package pgtest

import (
	"testing"
	"time"
)

// Mark is a recorded checkpoint for point-in-time tests: after the commit
// of mark row N the database clock read At, so a restore to At holds
// exactly rows 1..N of the marks table.
type Mark struct {
	N  int64
	At time.Time
}

// CreateMarks creates the marks table in database postgres.
func (c *Cluster) CreateMarks(t testing.TB) {
	t.Helper()
	c.Exec(t, "postgres", "CREATE TABLE marks (id serial PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())")
}

// AddMark inserts one mark row and reads the database clock after its
// commit.
func (c *Cluster) AddMark(t testing.TB) Mark {
	t.Helper()
	var m Mark
	c.QueryRow(t, "postgres", "INSERT INTO marks DEFAULT VALUES RETURNING id", &m.N)
	c.QueryRow(t, "postgres", "SELECT clock_timestamp()", &m.At)
	return m
}
