package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/pgtest"
)

// asRoot runs the coffer binary as the test's own user (backups and
// restores run as root next to the server).
func asRoot(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(pgtest.CofferBinary(t), args...)
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

func connArgs(c *pgtest.Cluster, rp pgtest.Repository) []string {
	return []string{"--source", "main", "--host", "127.0.0.1", "--port", strconv.Itoa(c.Port), "--user", "postgres",
		"--pgdata", c.DataDir, "--bin-dir", c.BinDir, "--repo", rp.Dir, "--key-file", rp.KeyFile}
}

// lastJSON decodes the last JSON line of out.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	return m
}

func TestPostgresCheckNamesEveryProblem(t *testing.T) {
	t.Parallel()
	c := pgtest.New(t, pgtest.Options{Settings: map[string]string{"wal_level": "minimal", "max_wal_senders": "0"}})
	stdout, _, code := asRoot(t, "postgres", "check", "--source", "main", "--host", "127.0.0.1", "--port", strconv.Itoa(c.Port),
		"--pgdata", "/nonexistent/pgdata")
	for _, want := range []string{
		`wal_level is "minimal": physical backups and point-in-time recovery need wal_level = replica (or logical)`,
		`archive_mode is "off": set archive_mode = on in postgresql.conf and restart PostgreSQL`,
		`archive_command is not set: set archive_command = 'coffer wal-push --source main`,
		`cannot read the data directory /nonexistent/pgdata`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check output lacks %q:\n%s", want, stdout)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

// TestPostgresCLIBackupListRestoreVerify drives the controller-free flow
// through the binary: full and incremental backups, the listing, a
// point-in-time restore started and checked, and a restore test.
func TestPostgresCLIBackupListRestoreVerify(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	c := pgtest.New(t, pgtest.Options{Settings: pgtest.ArchiveSettings(t, rp, "main")})
	c.Exec(t, "postgres", "CREATE TABLE marks (id serial primary key)")
	conn := connArgs(c, rp)

	out, stderr, code := asRoot(t, append([]string{"postgres", "backup", "--json"}, conn...)...)
	if code != 0 {
		t.Fatalf("full backup: exit %d: %s", code, stderr)
	}
	full := lastJSON(t, out)
	if full["type"] != "full" || full["kind"] != "postgres-physical" {
		t.Fatalf("full backup summary %v", full)
	}
	c.Exec(t, "postgres", "INSERT INTO marks DEFAULT VALUES")
	c.Exec(t, "postgres", "INSERT INTO marks DEFAULT VALUES")
	var at time.Time
	c.QueryRow(t, "postgres", "SELECT clock_timestamp()", &at)
	c.Exec(t, "postgres", "INSERT INTO marks DEFAULT VALUES")
	out, stderr, code = asRoot(t, append([]string{"postgres", "backup", "--json", "--parent", "latest"}, conn...)...)
	if code != 0 || lastJSON(t, out)["type"] != "incremental" {
		t.Fatalf("incremental backup: exit %d: %s %s", code, out, stderr)
	}

	out, stderr, code = asRoot(t, "postgres", "list", "--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile)
	if code != 0 || strings.Count(out, "restorable from") != 2 || !strings.Contains(out, "timeline 1: 000000010000000000000001..") {
		t.Fatalf("list: exit %d:\n%s%s", code, out, stderr)
	}

	// Restore to a time between the full and the incremental backups.
	dir := pgtest.TempDir(t, "coffer-cli-restore-")
	target := filepath.Join(dir, "data")
	out, stderr, code = asRoot(t, append([]string{"postgres", "restore", "--json", "--time", at.Format(time.RFC3339Nano), "--target", target, "--no-archive"}, conn...)...)
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, stderr)
	}
	if sum := lastJSON(t, out); sum["snapshotId"] != full["snapshotId"] {
		t.Fatalf("restore chose %v, want the full backup %v", sum["snapshotId"], full["snapshotId"])
	}
	rc := pgtest.Existing(t, target, nil)
	rc.Start(t)
	rc.WaitPromoted(t, 2*time.Minute)
	if n := rc.Int(t, "postgres", "SELECT count(*) FROM marks"); n != 2 {
		t.Fatalf("restored %d marks, want 2", n)
	}
	// Restoring over it again needs --overwrite (and no running server).
	_, stderr, code = asRoot(t, append([]string{"postgres", "restore", "--immediate", "--target", target, "--no-archive"}, conn...)...)
	if code != 2 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("restore over a used directory: exit %d: %s", code, stderr)
	}

	out, stderr, code = asRoot(t, "postgres", "verify", "--json", "latest", "--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile, "--bin-dir", c.BinDir)
	if code != 0 || lastJSON(t, out)["ok"] != true {
		t.Fatalf("verify: exit %d: %s %s", code, out, stderr)
	}
}

// TestBackupProcessKilledDuringBaseBackup: SIGKILL while the data
// directory is being copied. The server ends backup mode by itself when
// the session drops, no snapshot exists, and the next backup succeeds.
func TestBackupProcessKilledDuringBaseBackup(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	c := pgtest.New(t, pgtest.Options{Settings: pgtest.ArchiveSettings(t, rp, "main")})
	c.Pgbench(t, "postgres", "-i", "-s", "5", "-q")
	conn := connArgs(c, rp)

	cmd := exec.Command(pgtest.CofferBinary(t), append([]string{"postgres", "backup", "--json"}, conn...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	copying := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"phase":"copy"`) {
			copying = true
			break
		}
	}
	if !copying {
		cmd.Wait()
		t.Fatalf("backup never reached the copy phase: %s", stderr.String())
	}
	// Freeze it mid-copy, check the server holds a backup session for it,
	// then kill it.
	cmd.Process.Signal(syscall.SIGSTOP)
	if n := c.Int(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coffer backup main'"); n != 1 {
		t.Fatalf("%d backup sessions while the backup runs", n)
	}
	cmd.Process.Kill()
	cmd.Wait()

	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(c.Log(), "aborting backup due to backend exiting before pg_backup_stop was called") {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not abort the killed backup:\n%s", c.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := c.Int(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coffer backup main'"); n != 0 {
		t.Fatalf("%d backup sessions left after the kill", n)
	}
	if list, err := rp.Open(t).ListSnapshots(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("snapshots after the kill: %d, %v", len(list), err)
	}
	out, errOut, code := asRoot(t, append([]string{"postgres", "backup", "--json"}, conn...)...)
	if code != 0 || lastJSON(t, out)["type"] != "full" {
		t.Fatalf("backup after the kill: exit %d: %s", code, errOut)
	}
}
