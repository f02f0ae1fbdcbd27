package agent_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/session"
)

func TestEnrollsConnectsAndSaysHello(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	dir := t.TempDir()
	cfg := testConfig(t, c, dir)
	connected := make(chan string, 10)
	cfg.OnConnected = func(id string) { connected <- id }
	a := start(t, cfg)
	conn := c.NextConn(t, 10*time.Second)
	h := conn.Hello
	if h.GetAgentVersion() != "1.2.3-test" || h.GetProtocolVersion() != session.ProtocolVersion || h.GetHostname() != "db1.test" {
		t.Fatalf("hello %v", h)
	}
	if !slices.Contains(h.GetCapabilities(), "source:files") || !slices.Contains(h.GetCapabilities(), "storage:s3") {
		t.Fatalf("capabilities %v", h.GetCapabilities())
	}
	if len(h.GetRunningJobs()) != 0 {
		t.Fatalf("fresh agent reports running jobs %v", h.GetRunningJobs())
	}
	if id := <-connected; id != conn.AgentID {
		t.Fatalf("OnConnected(%q), stream agent %q", id, conn.AgentID)
	}
	conn.Expect(t, 3*time.Second, "heartbeat", agenttest.IsHeartbeat)

	// A restart reuses the stored identity; the (now used) token is not needed.
	a.cancel()
	if err := a.exit(t, 10*time.Second); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	cfg.JoinToken = ""
	start(t, cfg)
	again := c.NextConn(t, 10*time.Second)
	if again.AgentID != conn.AgentID || again.CertSerial != conn.CertSerial {
		t.Fatalf("restart enrolled anew: %s/%s, was %s/%s", again.AgentID, again.CertSerial, conn.AgentID, conn.CertSerial)
	}
}

func TestUsedJoinTokenIsReportedClearly(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	cfg := testConfig(t, c, t.TempDir())
	start(t, cfg)
	c.NextConn(t, 10*time.Second)

	other := cfg
	other.DataDir = t.TempDir()
	err := start(t, other).exit(t, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "already used") || !strings.Contains(err.Error(), "coffer agent token create") {
		t.Fatalf("reused token: %v", err)
	}
	if strings.Contains(err.Error(), cfg.JoinToken) {
		t.Fatal("error shows the token")
	}
}

func TestSecondAgentOnOneDataDirIsRefused(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	cfg := testConfig(t, c, t.TempDir())
	start(t, cfg)
	c.NextConn(t, 10*time.Second)
	err := start(t, cfg).exit(t, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "another agent is running") {
		t.Fatalf("second agent on the same data dir: %v", err)
	}
}

func TestNotEnrolledWithoutTokenFails(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	cfg := testConfig(t, c, t.TempDir())
	cfg.JoinToken = ""
	err := start(t, cfg).exit(t, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "--join-token") {
		t.Fatalf("err = %v", err)
	}
}

func TestRevokedAgentStops(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	a := start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)
	c.Revoke(conn.AgentID)
	conn.Drop()
	err := a.exit(t, 10*time.Second)
	var refused *session.RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked agent: %v", err)
	}
}

func TestTooOldAgentGetsClearError(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	c.MinProtocol = session.ProtocolVersion + 1
	err := start(t, testConfig(t, c, t.TempDir())).exit(t, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("too-old agent: %v", err)
	}
}

func TestCertificateRenewedBeforeExpiry(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	c.CertTTL = 4 * time.Second
	dir := t.TempDir()
	start(t, testConfig(t, c, dir))
	conn := c.NextConn(t, 10*time.Second)
	// After renewing, the agent moves its channel to a new connection that
	// presents the new certificate (a 4s certificate renews after ~1.3-2s).
	var next *agenttest.Conn
	for next == nil || next.CertSerial == conn.CertSerial {
		next = c.NextConn(t, 10*time.Second)
	}
	if c.Renewals.Load() == 0 || next.AgentID != conn.AgentID {
		t.Fatalf("renewals %d, agent %s (was %s)", c.Renewals.Load(), next.AgentID, conn.AgentID)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "*.key"))
	if len(keys) != 1 {
		t.Fatalf("key files after renewal: %v", keys)
	}
	if fi, err := os.Stat(keys[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
}
