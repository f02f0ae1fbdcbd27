package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/walsock"
	"github.com/cofferhq/coffer/internal/pgtest"
)

// Environment of the helper process that plays a WAL socket agent.
const (
	envServeSocket = "COFFER_TEST_WALSOCK_SERVE"
	envHangOn      = "COFFER_TEST_WALSOCK_HANG" // file name whose push never finishes
	envHangMarker  = "COFFER_TEST_WALSOCK_MARKER"
)

func TestMain(m *testing.M) {
	if sock := os.Getenv(envServeSocket); sock != "" {
		serveUntilKilled(sock)
		return
	}
	os.Exit(m.Run())
}

// serveUntilKilled is the helper process: a WAL socket server whose push
// of $COFFER_TEST_WALSOCK_HANG writes the marker file and hangs until the
// process is killed.
func serveUntilKilled(sock string) {
	ln, err := walsock.Listen(sock, os.Getenv("COFFER_TEST_WALSOCK_GROUP"))
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(3)
	}
	srv := walsock.NewServer(walsock.Options{BeforeSave: func(_, name string) {
		if name == os.Getenv(envHangOn) {
			os.WriteFile(os.Getenv(envHangMarker), nil, 0o600)
			select {}
		}
	}})
	srv.Serve(ln)
}

// TestAgentKilledDuringPush: the agent process is killed (SIGKILL) while
// it holds a push; wal-push, still waiting, repeats the push directly and
// succeeds, the file is archived once and whole, a retry is accepted, and
// the dead agent's stale socket sends later pushes straight to the
// repository.
func TestAgentKilledDuringPush(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	dir := pgtest.TempDir(t, "coffer-kill-")
	sock, marker := filepath.Join(dir, "agent.sock"), filepath.Join(dir, "hanging")
	agent := exec.Command(os.Args[0])
	agent.Env = append(os.Environ(), envServeSocket+"="+sock, envHangOn+"=00000002.history", envHangMarker+"="+marker,
		"COFFER_TEST_WALSOCK_GROUP="+postgresGroup(t))
	var agentOut bytes.Buffer
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	poll(t, 30*time.Second, "the agent process to listen", func() bool { _, err := os.Stat(sock); return err == nil })

	history := filepath.Join(dir, "00000002.history")
	content := "1\t0/3000158\tno recovery target specified\n"
	if err := os.WriteFile(history, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"wal-push", "-v", "--agent-socket", sock, "--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile}
	push := exec.Command(pgtest.CofferBinary(t), append(args, history)...)
	if err := pgtest.AsPostgres(push); err != nil {
		t.Fatal(err)
	}
	var pushOut bytes.Buffer
	push.Stdout, push.Stderr = &pushOut, &pushOut
	if err := push.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, 30*time.Second, "the agent to hold the push", func() bool { _, err := os.Stat(marker); return err == nil })
	if err := agent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	agent.Wait()
	if err := push.Wait(); err != nil {
		t.Fatalf("wal-push after the agent was killed: %v\n%s", err, pushOut.String())
	}
	if out := pushOut.String(); !strings.Contains(out, "writing the repository directly") || !strings.Contains(out, "archived directly") {
		t.Fatalf("wal-push did not fall back to the repository:\n%s", out)
	}

	// Archived whole: fetched back (authenticated in full) byte for byte.
	fetched := filepath.Join(dir, "fetched")
	if _, stderr, code := coffer(t, "wal-fetch", "--agent-socket", "", "--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile, "00000002.history", fetched); code != 0 {
		t.Fatalf("wal-fetch: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(fetched); string(got) != content {
		t.Fatalf("fetched %q", got)
	}
	// The killed agent left its socket file behind: nobody answers on it.
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("expected the killed agent's stale socket: %v", err)
	}
	_, stderr, code := coffer(t, append(args, history)...)
	if code != 0 || !strings.Contains(stderr, "already archived (same content) directly") {
		t.Fatalf("retry with a stale socket: exit %d: %s", code, stderr)
	}
}

func poll(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
