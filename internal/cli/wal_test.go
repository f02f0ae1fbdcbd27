package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/pgtest"
	"github.com/cofferhq/coffer/internal/repo"
)

// coffer runs the built binary as the postgres user, the way PostgreSQL
// runs archive_command and restore_command.
func coffer(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(pgtest.CofferBinary(t), args...)
	if err := pgtest.AsPostgres(cmd); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// waitArchived waits until PostgreSQL reports name archived.
func waitArchived(t *testing.T, c *pgtest.Cluster, name string) {
	t.Helper()
	c.WaitArchived(t, name, 60*time.Second)
}

func switchWAL(t *testing.T, c *pgtest.Cluster) string {
	t.Helper()
	var name string
	c.Exec(t, "postgres", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g")
	c.QueryRow(t, "postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())", &name)
	c.Exec(t, "postgres", "SELECT pg_switch_wal()")
	return name
}

func TestWALPushAndFetchAsArchiveAndRestoreCommand(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	settings := pgtest.ArchiveSettings(t, rp, "main")
	settings["wal_keep_size"] = "'1GB'" // keep segments to compare with
	c := pgtest.New(t, pgtest.Options{Settings: settings})
	c.Exec(t, "postgres", "CREATE TABLE t (id int, v text)")
	var names []string
	for range 3 {
		names = append(names, switchWAL(t, c))
	}
	waitArchived(t, c, names[len(names)-1])

	r := rp.Open(t)
	arch, err := r.ListLogSegments(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	tl := arch.Timeline(1)
	if tl == nil || len(tl.Runs) != 1 || len(tl.Gaps()) != 0 {
		t.Fatalf("archive %+v", arch.Timelines)
	}
	last, _ := repo.ParseLogFile("main", names[2])
	if tl.Runs[0].First != 1 || tl.Runs[0].Last != last.SegNo(arch.SegmentSize) {
		t.Fatalf("runs %+v, want 1..%d", tl.Runs, last.SegNo(arch.SegmentSize))
	}
	info, err := r.StatLogSegment(context.Background(), last)
	if err != nil || info.LastCommit == nil || info.Start == 0 {
		t.Fatalf("segment header %+v, %v: want its commit times and LSN range", info, err)
	}

	// wal-fetch restores the identical bytes, as the postgres user.
	dest := filepath.Join(c.Dir, "fetched")
	args := []string{"--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile}
	if _, stderr, code := coffer(t, append(append([]string{"wal-fetch"}, args...), names[1], dest)...); code != 0 {
		t.Fatalf("wal-fetch exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(filepath.Join(c.DataDir, "pg_wal", names[1]))
	if got, _ := os.ReadFile(dest); len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("fetched %s differs from pg_wal's copy", names[1])
	}

	// A file the archive does not have: exit 1 and no message in the log.
	_, stderr, code := coffer(t, append(append([]string{"wal-fetch"}, args...), "00000002.history", filepath.Join(c.Dir, "h"))...)
	if code != 1 || stderr != "" {
		t.Fatalf("missing history file: exit %d, stderr %q; want 1 and nothing", code, stderr)
	}

	// Pushing the same segment again is accepted; different bytes are not.
	seg := filepath.Join(c.DataDir, "pg_wal", names[0])
	if _, stderr, code := coffer(t, append(append([]string{"wal-push"}, args...), seg)...); code != 0 {
		t.Fatalf("second push of %s: exit %d: %s", names[0], code, stderr)
	}
	forged := filepath.Join(c.Dir, names[0])
	data, _ := os.ReadFile(seg)
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(forged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = coffer(t, append(append([]string{"wal-push"}, args...), forged)...)
	if code != 1 || !strings.Contains(stderr, "different file with this name is already archived") || !strings.Contains(stderr, "wal/main/00000001/"+names[0]) {
		t.Fatalf("push of different bytes: exit %d, stderr %q", code, stderr)
	}

	// A damaged segment: exit 126 (PostgreSQL stops recovery) naming it.
	obj := filepath.Join(rp.Dir, "wal", "main", "00000001", names[1])
	flipByte(t, obj, 200)
	_, stderr, code = coffer(t, append(append([]string{"wal-fetch"}, args...), names[1], filepath.Join(c.Dir, "bad"))...)
	if code != 126 || !strings.Contains(stderr, "wal/main/00000001/"+names[1]) || !strings.Contains(stderr, "corrupt") {
		t.Fatalf("damaged segment: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "bad")); !os.IsNotExist(err) {
		t.Fatal("a damaged segment was written to its destination")
	}
}

func flipByte(t *testing.T, path string, pos int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[pos] ^= 0x01
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestArchiveCommandWhileRepositoryIsDown: archive_command fails while the
// repository is unreachable, PostgreSQL keeps the segments and retries,
// and once it is back every segment is archived, with no gap.
func TestArchiveCommandWhileRepositoryIsDown(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	c := pgtest.New(t, pgtest.Options{Settings: pgtest.ArchiveSettings(t, rp, "main")})
	c.Exec(t, "postgres", "CREATE TABLE t (id int, v text)")
	waitArchived(t, c, switchWAL(t, c))

	away := rp.Dir + ".away"
	if err := os.Rename(rp.Dir, away); err != nil {
		t.Fatal(err)
	}
	var names []string
	for range 3 {
		names = append(names, switchWAL(t, c))
	}
	deadline := time.Now().Add(30 * time.Second)
	for c.Int(t, "postgres", "SELECT failed_count FROM pg_stat_archiver") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("archive_command did not fail while the repository was away")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(c.Log(), "archive command failed") {
		t.Fatalf("no archive failure in the log:\n%s", c.LogTail(10))
	}
	if err := os.Rename(away, rp.Dir); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL retries on its own; a new segment wakes its archiver at
	// once instead of after its 60 s back-off.
	names = append(names, switchWAL(t, c))
	waitArchived(t, c, names[3])

	arch, err := rp.Open(t).ListLogSegments(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	tl := arch.Timeline(1)
	last, _ := repo.ParseLogFile("main", names[3])
	if tl == nil || len(tl.Runs) != 1 || tl.Runs[0].First != 1 || tl.Runs[0].Last != last.SegNo(arch.SegmentSize) {
		t.Fatalf("archive after the outage: %+v; want one run 1..%d", tl, last.SegNo(arch.SegmentSize))
	}
}
