package dispatch_test

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	"github.com/cofferhq/coffer/controller/server"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/pki"
)

const wait = 10 * time.Second

// world is a controller with a default storage location and one enrolled
// agent owning a files source.
type world struct {
	c       *ct.Controller
	agentID string
	tls     *tls.Config
}

func newWorld(t *testing.T, edit ...func(*server.Config)) world {
	t.Helper()
	c := ct.Start(t, edit...)
	c.MustDo(t, "POST", "/api/storage-locations", map[string]any{"name": "main", "url": "file://" + filepath.Join(t.TempDir(), "repo"), "isDefault": true})
	id, cfg := c.Enroll(t, "db1")
	c.MustDo(t, "POST", "/api/sources", map[string]any{
		"name": "files1", "type": "files", "config": map[string]any{"paths": []string{"/srv/data"}},
		"secrets": map[string]string{"token": "abc"},
	})
	return world{c: c, agentID: id, tls: cfg}
}

func (w world) backup(t *testing.T) (id, jobID string) {
	t.Helper()
	var out struct {
		Backups []struct{ ID, JobID string }
	}
	w.c.MustDo(t, "POST", "/api/backups", map[string]any{"databases": []string{"files1"}}).Decode(t, &out)
	return out.Backups[0].ID, out.Backups[0].JobID
}

type backupView struct {
	Status, Error, SnapshotID, JobID string
}

func (w world) get(t *testing.T, id string) backupView {
	t.Helper()
	var out struct{ Backup backupView }
	w.c.MustDo(t, "GET", "/api/backups/"+id, nil).Decode(t, &out)
	return out.Backup
}

func (w world) waitStatus(t *testing.T, id, want string) backupView {
	t.Helper()
	var b backupView
	ct.Poll(t, wait, "backup "+id+" to be "+want, func() bool { b = w.get(t, id); return b.Status == want })
	return b
}

func expectAssignment(t *testing.T, ch *ct.Channel) *cofferv1.JobAssignment {
	t.Helper()
	for {
		m := ch.Expect(wait)
		if a := m.GetAssignment(); a != nil {
			return a
		}
	}
}

func succeed(ch *ct.Channel, a *cofferv1.JobAssignment, snap string) {
	ch.Finish(a.GetJobId(), a.GetAttempt(), a.GetEpoch(), cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED, func(r *cofferv1.JobResult) {
		r.Detail = &cofferv1.JobResult_Backup{Backup: &cofferv1.BackupResult{SnapshotId: snap, SizeBytes: 10, EntryCount: 2}}
	})
}

const snap = "7f2c9e3a7f2c9e3a7f2c9e3a7f2c9e3a7f2c9e3a7f2c9e3a7f2c9e3a7f2c9e3a"

func TestAssignmentProgressResult(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id, _ := w.backup(t)
	ch := w.c.Open(t, w.tls, nil)
	if m := ch.Expect(wait); m.GetWelcome().GetAgentId() != w.agentID {
		t.Fatalf("welcome %v, want agent %s", m, w.agentID)
	}
	a := expectAssignment(t, ch)
	spec := a.GetBackup()
	if spec.GetBackupId() != id || spec.GetSource().GetName() != "files1" || a.GetAttempt() != 1 || a.GetEpoch() != 1 {
		t.Fatalf("assignment %v", a)
	}
	if len(spec.GetRepository().GetKeyMaterial()) != 64 || spec.GetRepository().GetCredentials()["repositoryKey"] != "" {
		t.Fatalf("repository key must travel as key material only: %v", spec.GetRepository())
	}
	if spec.GetSource().GetSecrets()["token"] != "abc" {
		t.Fatalf("source secrets missing from the assignment")
	}
	ch.Accept(a)
	ch.Progress(a, 1, 100)
	w.waitStatus(t, id, "running")
	succeed(ch, a, snap)
	if m := ch.Expect(wait); m.GetResultAck().GetJobId() != a.GetJobId() {
		t.Fatalf("want a result ack, got %v", m)
	}
	b := w.waitStatus(t, id, "completed")
	if b.SnapshotID != snap {
		t.Fatalf("snapshot %q", b.SnapshotID)
	}
	// A redelivered result is acknowledged again, not recorded twice.
	succeed(ch, a, snap)
	if m := ch.Expect(wait); m.GetResultAck() == nil {
		t.Fatalf("repeated result: got %v, want an ack", m)
	}
}

func TestLostAttemptIsRetriedAndStaleEpochAborted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *server.Config) { c.Agents.LeaseTTL = time.Second })
	id, _ := w.backup(t)
	ch := w.c.Open(t, w.tls, nil)
	a1 := expectAssignment(t, ch)
	ch.Accept(a1)
	// Silence: the lease expires, the attempt is marked lost and retried.
	var a2 *cofferv1.JobAssignment
	sawAbort := false
	for a2 == nil {
		m := ch.Expect(wait)
		if ab := m.GetAbort(); ab != nil {
			if ab.GetReason() != cofferv1.AbortReason_ABORT_REASON_LEASE_EXPIRED || ab.GetEpoch() != a1.GetEpoch() {
				t.Fatalf("abort %v", ab)
			}
			sawAbort = true
		}
		a2 = m.GetAssignment()
	}
	if !sawAbort || a2.GetAttempt() != 2 || a2.GetEpoch() <= a1.GetEpoch() {
		t.Fatalf("retry: abort seen %v, attempt %d epoch %d", sawAbort, a2.GetAttempt(), a2.GetEpoch())
	}
	if b := w.get(t, id); !strings.Contains(b.Error, "lost") {
		t.Fatalf("backup error %q does not say the attempt was lost", b.Error)
	}
	// The old attempt's late report is refused.
	ch.Progress(a1, 5, 500)
	if ab := ch.Expect(wait).GetAbort(); ab == nil || ab.GetReason() != cofferv1.AbortReason_ABORT_REASON_STALE_EPOCH {
		t.Fatalf("late report of a lost attempt: want STALE_EPOCH abort, got %v", ab)
	}
	ch.Accept(a2)
	succeed(ch, a2, snap)
	w.waitStatus(t, id, "completed")
}

func TestCancelReachesTerminalState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *server.Config) { c.Agents.LeaseTTL = 2 * time.Second })
	ch := w.c.Open(t, w.tls, nil)
	// A cooperative agent answers CancelJob with CANCELLED.
	id, _ := w.backup(t)
	a := expectAssignment(t, ch)
	ch.Accept(a)
	w.c.MustDo(t, "POST", "/api/backups/"+id+"/cancel", map[string]any{"reason": "test"})
	c := ch.Expect(wait).GetCancel()
	if c == nil || c.GetJobId() != a.GetJobId() {
		t.Fatalf("want CancelJob, got %v", c)
	}
	ch.Finish(a.GetJobId(), a.GetAttempt(), a.GetEpoch(), cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED, nil)
	w.waitStatus(t, id, "cancelled")
	// An agent that ignores the cancel and keeps reporting still ends
	// cancelled once its (no longer renewed) lease runs out.
	id2, _ := w.backup(t)
	a2 := expectAssignment(t, ch)
	ch.Accept(a2)
	start := time.Now()
	w.c.MustDo(t, "POST", "/api/backups/"+id2+"/cancel", nil)
	for seq := int64(1); w.get(t, id2).Status != "cancelled"; seq++ {
		if time.Since(start) > wait {
			t.Fatalf("backup %s not cancelled after %s", id2, wait)
		}
		ch.Progress(a2, seq, seq*100)
		time.Sleep(100 * time.Millisecond) // the agent's report interval
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %s with a 2s lease", d)
	}
}

func TestReattachAfterReconnect(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *server.Config) { c.Agents.LeaseTTL = 5 * time.Second })
	id, _ := w.backup(t)
	ch := w.c.Open(t, w.tls, nil)
	a := expectAssignment(t, ch)
	ch.Accept(a)
	ch.Close()
	ch2 := w.c.Open(t, w.tls, &cofferv1.AgentHello{AgentVersion: "test", ProtocolVersion: 1, RunningJobs: []*cofferv1.RunningJob{
		{JobId: a.GetJobId(), Attempt: a.GetAttempt(), Epoch: a.GetEpoch()},
		{JobId: "no-such-job", Attempt: 1, Epoch: 1},
	}})
	var reattached, unknown bool
	for !reattached || !unknown {
		m := ch2.Expect(wait)
		if r := m.GetReattached(); r != nil && r.GetJobId() == a.GetJobId() {
			reattached = true
		}
		if ab := m.GetAbort(); ab != nil && ab.GetJobId() == "no-such-job" && ab.GetReason() == cofferv1.AbortReason_ABORT_REASON_UNKNOWN_JOB {
			unknown = true
		}
	}
	succeed(ch2, a, snap)
	w.waitStatus(t, id, "completed")
}

func TestStallDetectedSeparatelyFromDeadAgent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *server.Config) { c.Agents.LeaseTTL = 5 * time.Second; c.Agents.StallTimeout = 2 * time.Second })
	id, _ := w.backup(t)
	ch := w.c.Open(t, w.tls, nil)
	a := expectAssignment(t, ch)
	ch.Accept(a)
	// The agent keeps reporting (so its lease never expires) but no byte moves.
	deadline := time.Now().Add(wait)
	var abort *cofferv1.AbortJob
	for seq := int64(1); abort == nil; seq++ {
		if time.Now().After(deadline) {
			t.Fatal("stall not detected")
		}
		ch.Progress(a, seq, 42)
		// A progress report racing the sweep may be answered with a
		// stale-epoch abort first; the stalled abort must still come.
		if m, ok := ch.TryNext(200 * time.Millisecond); ok && m.GetAbort().GetReason() != cofferv1.AbortReason_ABORT_REASON_STALE_EPOCH {
			abort = m.GetAbort()
		}
	}
	if abort.GetReason() != cofferv1.AbortReason_ABORT_REASON_STALLED || !strings.Contains(abort.GetMessage(), "stalled") {
		t.Fatalf("abort %v does not say stalled", abort)
	}
	if b := w.get(t, id); !strings.Contains(b.Error, "stalled") || b.Status == "failed" {
		t.Fatalf("stalled attempt: backup %+v, want a retry with a stalled error", b)
	}
	if a2 := expectAssignment(t, ch); a2.GetAttempt() != 2 {
		t.Fatalf("retry is attempt %d", a2.GetAttempt())
	}
}

func TestOldAgentRefusedWithBothVersions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *server.Config) { c.Agents.MinProtocolVersion = 2 })
	ch := w.c.Open(t, w.tls, &cofferv1.AgentHello{AgentVersion: "0.0.1", ProtocolVersion: 1})
	_, err := ch.Next(wait)
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "protocol 1") || !strings.Contains(st.Message(), "at least 2") {
		t.Fatalf("old agent: %v, want FAILED_PRECONDITION naming both versions", err)
	}
}

func TestRevokedAgentCutOffMidStreamAndRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ch := w.c.Open(t, w.tls, nil)
	ch.Expect(wait) // welcome
	w.c.MustDo(t, "POST", "/api/agents/"+w.agentID+"/revoke", map[string]any{"reason": "test"})
	_, err := ch.Next(wait)
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("open channel after revoke: %v, want PERMISSION_DENIED", err)
	}
	_, err = w.c.Open(t, w.tls, nil).Next(wait)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("reconnect after revoke: %v, want PERMISSION_DENIED naming the revocation", err)
	}
	var agent struct{ Agent struct{ Status string } }
	w.c.MustDo(t, "GET", "/api/agents/"+w.agentID, nil).Decode(t, &agent)
	if agent.Agent.Status != "revoked" {
		t.Fatalf("agent status %q", agent.Agent.Status)
	}
}

func TestJoinTokenSingleUseAndExpiry(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tok := w.c.JoinToken(t, "a2")
	for i, want := range []string{"", "already used"} {
		err := w.c.EnrollWith(t, tok)
		if want == "" && err != nil {
			t.Fatalf("first use: %v", err)
		}
		if want != "" && (status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), want)) {
			t.Fatalf("use %d: %v, want PERMISSION_DENIED %q", i+1, err, want)
		}
	}
	var out struct {
		Token     string
		ExpiresAt time.Time
	}
	w.c.MustDo(t, "POST", "/api/agents/join-tokens", map[string]any{"ttlSeconds": 1}).Decode(t, &out)
	ct.Poll(t, wait, "join token to expire", func() bool { return time.Now().After(out.ExpiresAt.Add(10 * time.Millisecond)) })
	if err := w.c.EnrollWith(t, out.Token); status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v, want PERMISSION_DENIED naming the expiry", err)
	}
}

func TestCertificateRenewal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	renew := func() error {
		key, _ := pki.GenerateKey()
		csr, _ := pki.CreateCSR(key, "db1")
		resp, err := cofferv1.NewEnrollmentServiceClient(w.c.Dial(t, w.tls)).RenewCertificate(context.Background(), &cofferv1.RenewCertificateRequest{CsrPem: csr})
		if err == nil && len(resp.GetCertificatePem()) == 0 {
			t.Fatal("renewal returned no certificate")
		}
		return err
	}
	if err := renew(); err != nil {
		t.Fatalf("renew: %v", err)
	}
	// Without a client certificate there is nothing to renew.
	_, err := cofferv1.NewEnrollmentServiceClient(w.c.UserConn(t, "")).RenewCertificate(context.Background(), &cofferv1.RenewCertificateRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("renew without a certificate: %v", err)
	}
	w.c.MustDo(t, "POST", "/api/agents/"+w.agentID+"/revoke", nil)
	if err := renew(); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("renew after revoke: %v, want PERMISSION_DENIED", err)
	}
}
