package pgtest

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

const installHint = "run scripts/deps/postgres.sh (or set COFFER_ALLOW_SKIP=1 to skip)"

// BinDir returns the directory of the PostgreSQL 15 server binaries.
func BinDir() (string, error) {
	dir := os.Getenv("COFFER_PG_BINDIR")
	if dir == "" {
		dir = "/usr/lib/postgresql/15/bin"
	}
	for _, b := range []string{"initdb", "postgres", "pg_dump", "pg_restore", "pgbench"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("PostgreSQL binary %s not found in %s: %s", b, dir, installHint)
		}
	}
	return dir, nil
}

// Require returns BinDir or fails (skips with COFFER_ALLOW_SKIP=1) t.
func Require(t testing.TB) string {
	t.Helper()
	dir, err := BinDir()
	if err == nil {
		_, err = PostgresUser()
	}
	if err != nil {
		Fail(t, err)
	}
	return dir
}

// Fail fails t for a missing prerequisite, or skips it when
// COFFER_ALLOW_SKIP=1.
func Fail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("COFFER_ALLOW_SKIP") == "1" {
		t.Skipf("skipping: %v", err)
	}
	t.Fatal(err)
}

// Credential is the uid and gid of the postgres system user.
type Credential struct{ UID, GID uint32 }

// PostgresUser looks up the `postgres` system user.
func PostgresUser() (Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return Credential{}, fmt.Errorf("system user postgres: %w: %s", err, installHint)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return Credential{}, fmt.Errorf("system user postgres has uid %q gid %q", u.Uid, u.Gid)
	}
	return Credential{UID: uint32(uid), GID: uint32(gid)}, nil
}

// AsPostgres makes cmd run as the postgres user when the test runs as root.
func AsPostgres(cmd *exec.Cmd) error {
	if os.Geteuid() != 0 {
		return nil
	}
	c, err := PostgresUser()
	if err != nil {
		return err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.UID, Gid: c.GID}
	return nil
}

// Chown gives path and everything below it to the postgres user (when
// running as root), so the server and its archive_command can use it.
func Chown(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	c, err := PostgresUser()
	if err != nil {
		return err
	}
	return filepath.WalkDir(path, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(c.UID), int(c.GID))
	})
}

// TempDir makes a directory the postgres user can enter (t.TempDir's
// parents are private to root) and removes it when the test ends.
func TempDir(t testing.TB, pattern string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Chown(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FreePort asks the kernel for an unused loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
