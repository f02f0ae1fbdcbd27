package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/treetest"
)

// `coffer dev` end to end, driven by the client CLI as a user would.
func TestDevModeWithClientCLI(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	dir, dev, env := d.dir, d.proc, d.env
	st, err := os.Stat(d.tokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v mode %v, want 0600", err, st.Mode().Perm())
	}
	cli := func(args ...string) result { t.Helper(); return mustRun(t, env, args...) }
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 20, BigFiles: 1, BigSize: 2 << 20, Depth: 2, Seed: 7})
	cli("source", "create", "--name", "demo", "--path", src)
	out := cli("backup", "create", "demo", "--wait").stdout
	if !strings.Contains(out, "completed") {
		t.Fatalf("backup create --wait: %s", out)
	}
	var list struct{ Backups []struct{ ID string } }
	decodeJSON(t, cli("backup", "list", "--json").stdout, &list)
	if len(list.Backups) != 1 {
		t.Fatalf("backup list: %+v", list)
	}
	target := filepath.Join(t.TempDir(), "restored")
	cli("restore", list.Backups[0].ID, "--target", target, "--wait")
	treetest.Compare(t, src, filepath.Join(target, src))
	// The repository stays usable without the controller.
	cli("repo", "snapshots", "--repo", filepath.Join(dir, "repo"), "--key-file", filepath.Join(dir, "repo.key"))
	if r := run(t, env, "restore", list.Backups[0].ID, "--target", src); r.code == 0 || !strings.Contains(r.stderr, "overwriteExisting") {
		t.Fatalf("restore over the source without --overwrite: exit %d %s", r.code, r.stderr)
	}

	dev.cmd.Process.Signal(syscall.SIGINT)
	poll(t, 30*time.Second, "coffer dev to stop on SIGINT", dev.exited)
	if dev.err != nil {
		t.Fatalf("coffer dev exit after SIGINT: %v\n%s", dev.err, dev.out.String())
	}
}
