package pgwal_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	"github.com/cofferhq/coffer/internal/pgtest"
)

// TestScanSegmentAgreesWithPgWaldump writes transactions into a real
// cluster and checks the commit and abort times ScanSegment finds against
// pg_waldump's decoding of the same segment.
func TestScanSegmentAgreesWithPgWaldump(t *testing.T) {
	t.Parallel()
	c := pgtest.New(t, pgtest.Options{})
	c.Exec(t, "postgres", "CREATE TABLE t (id int primary key, pad text)")
	for i := range 50 {
		c.Exec(t, "postgres", "INSERT INTO t VALUES ($1, repeat('x', $1 * 40))", i)
	}
	// An abort, a transaction with many subtransactions (a larger commit
	// record) and a big multi-page record.
	c.Exec(t, "postgres", "DO $$ BEGIN INSERT INTO t VALUES (1000, 'a'); RAISE EXCEPTION 'no'; EXCEPTION WHEN OTHERS THEN NULL; END $$")
	conn := c.Connect(t, "postgres")
	ctx := t.Context()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		for _, q := range []string{"SAVEPOINT s", "INSERT INTO t VALUES (" + strconv.Itoa(2000+i) + ", 'sub')", "RELEASE s"} {
			if _, err := tx.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if tx, err = conn.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO t VALUES (5000, 'rolled back')"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var name string
	c.QueryRow(t, "postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())", &name)
	c.Exec(t, "postgres", "SELECT pg_switch_wal()")

	seg, err := os.ReadFile(filepath.Join(c.DataDir, "pg_wal", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := pgwal.ScanSegment(seg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 15 || s.SegSize != 16<<20 || s.BlockSize != 8192 || s.Timeline != 1 {
		t.Fatalf("summary %+v", s)
	}
	if got := pgwal.WALFileName(s.Timeline, s.Start, uint64(s.SegSize)); got != name {
		t.Fatalf("name from summary %s, file %s", got, name)
	}

	cmd := exec.Command(filepath.Join(c.BinDir, "pg_waldump"), "--rmgr=Transaction", filepath.Join(c.DataDir, "pg_wal", name))
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, _ := cmd.CombinedOutput() // exits 1 at the end of WAL after a switch
	re := regexp.MustCompile(`desc: (COMMIT|ABORT) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC`)
	var times []time.Time
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		ts, err := time.Parse("2006-01-02 15:04:05.999999", m[2])
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, ts)
	}
	if len(times) < 50 {
		t.Fatalf("pg_waldump shows %d commits/aborts:\n%s", len(times), out)
	}
	if s.Commits != len(times) || !s.FirstCommit.Equal(times[0]) || !s.LastCommit.Equal(times[len(times)-1]) {
		t.Fatalf("ScanSegment: %d commits %s..%s; pg_waldump: %d, %s..%s",
			s.Commits, s.FirstCommit, s.LastCommit, len(times), times[0], times[len(times)-1])
	}
	if !strings.Contains(string(out), "SWITCH") && s.Records == 0 {
		t.Fatal("no records")
	}
}

func TestLSN(t *testing.T) {
	t.Parallel()
	l, err := pgwal.ParseLSN("16/B374D848")
	if err != nil || uint64(l) != 0x16B374D848 || l.String() != "16/B374D848" {
		t.Fatalf("%v %v", l, err)
	}
	for _, bad := range []string{"", "1", "/1", "1/", "x/1", "123456789/0"} {
		if _, err := pgwal.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) accepted", bad)
		}
	}
	seg := uint64(16 << 20)
	if pgwal.LSN(0x3000000).SegNoEnd(seg) != 2 || pgwal.LSN(0x3000001).SegNoEnd(seg) != 3 {
		t.Fatal("SegNoEnd")
	}
	if got := pgwal.WALFileName(2, pgwal.LSN(0x1_0300_0000), seg); got != "000000020000000100000003" {
		t.Fatal(got)
	}
}

func TestParseHistoryAndLabel(t *testing.T) {
	t.Parallel()
	h, err := pgwal.ParseHistory([]byte("1\t0/3000158\tno recovery target specified\n\n2\t0/5000000\tbefore 2025-01-01 00:00:00+00\n"))
	if err != nil || len(h) != 2 || h[1].Parent != 2 || h[1].SwitchLSN != 0x5000000 {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := pgwal.ParseHistory([]byte("2\t0/5\tx\n1\t0/6\ty\n")); err == nil {
		t.Fatal("decreasing timelines accepted")
	}
	l, err := pgwal.ParseBackupLabel([]byte("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nSTART TIMELINE: 1\nLABEL: coffer\n"))
	if err != nil || l.StartLSN != 0x2000028 || l.StartFile != "000000010000000000000002" || l.Timeline != 1 || l.CheckpointLSN != 0x2000060 {
		t.Fatalf("%+v %v", l, err)
	}
}
