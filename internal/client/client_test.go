package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/controller/server"
	"github.com/cofferhq/coffer/internal/cli"
	"github.com/cofferhq/coffer/internal/client"
)

// startController runs a real controller (SQLite) and returns its REST
// address and admin token.
func startController(t *testing.T) (addr, token string) {
	t.Helper()
	dir := t.TempDir()
	cfg := server.Defaults()
	cfg.DataDir, cfg.HTTP.Addr, cfg.GRPC.Addr = dir, "127.0.0.1:0", "127.0.0.1:0"
	cfg.AdminTokenFile = filepath.Join(dir, "admin.token")
	cfg.Scheduler.Disabled = true
	cfg.Storage.Default = server.DefaultLocation{URL: "file://" + filepath.Join(dir, "repo"), KeyFile: filepath.Join(dir, "repo.key")}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	return "http://" + s.HTTPAddr(), s.AdminToken
}

// run executes one client command tree in-process.
func run(t *testing.T, cmd *cobra.Command, addr, token string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	full := append(args, "--addr", addr)
	if token != "" {
		tf := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tf, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		full = append(full, "--token-file", tf)
	}
	cmd.SetArgs(full)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// Not parallel: it clears COFFER_TOKEN for its run.
func TestClientCommandsAgainstAController(t *testing.T) {
	addr, token := startController(t)
	t.Setenv(client.EnvToken, "") // no ambient token

	_, _, err := run(t, client.BackupCommand(), addr, "", "list")
	if cli.ExitCode(err) != cli.ExitUsage || !strings.Contains(err.Error(), client.EnvToken) {
		t.Fatalf("no token: %v (exit %d), want a usage error naming %s", err, cli.ExitCode(err), client.EnvToken)
	}
	out, _, err := run(t, client.BackupCommand(), addr, token, "list")
	if err != nil || !strings.Contains(out, "SNAPSHOT") {
		t.Fatalf("backup list: %v\n%s", err, out)
	}
	_, _, err = run(t, client.BackupCommand(), addr, token, "create", "no-such-source")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Field != "databases[0]" {
		t.Fatalf("backup of an unknown source: %v", err)
	}
	_, _, err = run(t, client.ScheduleCommand(), addr, token, "create", "--name", "n", "--cron", "0 3 * * *", "--timezone", "Atlantis/Capital", "--source", "x")
	if !errors.As(err, &apiErr) || apiErr.Field != "timezone" {
		t.Fatalf("schedule in an unknown zone: %v", err)
	}
	_, _, err = run(t, client.RestoreCommand(), addr, token, "--target", "/srv/x")
	if cli.ExitCode(err) != cli.ExitUsage || !strings.Contains(err.Error(), "--source") {
		t.Fatalf("restore without a backup or a source: %v (exit %d), want a usage error naming --source", err, cli.ExitCode(err))
	}
	_, _, err = run(t, client.RestoreCommand(), addr, token, "--source", "no-such-source", "--point-in-time", "2026-05-01T03:00:00Z", "--target", "/srv/x")
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Field != "source" {
		t.Fatalf("point-in-time restore of an unknown source: %v, want 400 naming source", err)
	}
	_, _, err = run(t, client.RestoreCommand(), addr, token, "no-such-backup", "--recovery-target", "sometime", "--target", "/srv/x")
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Field != "recoveryTarget" {
		t.Fatalf("restore with a bad recovery target: %v, want 400 naming recoveryTarget", err)
	}
	out, _, err = run(t, client.TokenCommand(), addr, token, "create", "--name", "ci", "--role", "operator")
	if err != nil || !strings.HasPrefix(out, "cft1_") {
		t.Fatalf("token create: %v %q", err, out)
	}
	opToken := strings.TrimSpace(out)
	_, _, err = run(t, client.TokenCommand(), addr, opToken, "list")
	if !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("operator listing tokens: %v, want 403", err)
	}
	agent := &cobra.Command{Use: "agent"}
	agent.AddCommand(client.AgentCommands()...)
	out, _, err = run(t, agent, addr, token, "token", "create", "--ttl", "5m")
	if err != nil || !strings.HasPrefix(out, "cjt1.") {
		t.Fatalf("agent token create: %v %q", err, out)
	}
	out, _, err = run(t, client.SourceCommand(), addr, token, "list", "--json")
	if err != nil || !strings.Contains(out, `"sources"`) || !strings.Contains(out, `"pagination"`) {
		t.Fatalf("source list --json: %v %q", err, out)
	}
}
