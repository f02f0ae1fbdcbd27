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
	dir := filepath.Join(t.TempDir(), ".coffer")
	httpAddr := freePort(t)
	dev := startProc(t, "coffer dev", "dev", "--data-dir", dir, "--http-addr", httpAddr, "--grpc-addr", freePort(t))
	tokenFile := filepath.Join(dir, "admin.token")
	poll(t, time.Minute, "coffer dev to print where things are", func() bool {
		if dev.exited() {
			t.Fatalf("coffer dev exited: %s", dev.out.String())
		}
		return strings.Contains(dev.out.String(), "http://"+httpAddr+"/api") && strings.Contains(dev.out.String(), tokenFile)
	})
	st, err := os.Stat(tokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v mode %v, want 0600", err, st.Mode().Perm())
	}
	raw, _ := os.ReadFile(tokenFile)
	env := []string{"COFFER_ADDR=http://" + httpAddr, "COFFER_TOKEN=" + strings.TrimSpace(string(raw))}
	cli := func(args ...string) result { t.Helper(); return mustRun(t, env, args...) }

	poll(t, time.Minute, "the dev agent to be online", func() bool {
		return strings.Contains(run(t, env, "agent", "list").stdout, "online")
	})
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
