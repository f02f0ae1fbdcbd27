package agentcmd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/agentcmd"
	"github.com/cofferhq/coffer/agent/internal/agenttest"
)

// execute runs `coffer agent ARGS` under a root with a version until the
// test ends.
func execute(t *testing.T, args ...string) (*bytes.Buffer, chan error) {
	t.Helper()
	root := &cobra.Command{Use: "coffer", Version: "9.9.9", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(agentcmd.Command())
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"agent"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("coffer agent did not stop")
		}
	})
	return &out, done
}

func TestFlagsEnrollAndConnect(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(c.NewToken(t, time.Minute)+"\n"), 0o600)
	caFile := filepath.Join(dir, "ca.crt")
	os.WriteFile(caFile, c.CA.CertPEM, 0o644)
	execute(t, "--controller", c.Addr, "--join-token-file", tokenFile, "--ca-cert", caFile,
		"--data-dir", filepath.Join(dir, "data"), "--name", "web1", "--log-level", "warn")
	conn := c.NextConn(t, 10*time.Second)
	if conn.Hello.GetAgentVersion() != "9.9.9" {
		t.Fatalf("hello version %q, want the binary's", conn.Hello.GetAgentVersion())
	}
}

func TestEnvironmentSuppliesSettings(t *testing.T) {
	c := agenttest.Start(t)
	dir := t.TempDir()
	t.Setenv(agentcmd.EnvController, c.Addr)
	t.Setenv(agentcmd.EnvJoinToken, c.NewToken(t, time.Minute))
	t.Setenv(agentcmd.EnvDataDir, dir)
	execute(t, "--log-level", "warn")
	c.NextConn(t, 10*time.Second)
	if _, err := os.Stat(filepath.Join(dir, "identity.json")); err != nil {
		t.Fatalf("identity not stored in %s: %v", agentcmd.EnvDataDir, err)
	}
}

func TestBadFlagsAreErrors(t *testing.T) {
	t.Parallel()
	_, done := execute(t, "--controller", "127.0.0.1:1", "--data-dir", t.TempDir(), "--log-format", "xml")
	select {
	case err := <-done:
		done <- err
		if err == nil || !strings.Contains(err.Error(), "--log-format") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("bad flag not rejected")
	}
}
