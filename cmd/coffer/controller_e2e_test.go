package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/treetest"
)

const jobTimeout = 3 * time.Minute

// Two agent processes, a controller process on PostgreSQL, everything
// over REST: sources on each agent, backups, list, get, incremental,
// restores compared byte for byte with the originals.
func TestControllerTwoAgentsBackupRestore(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.agent("alpha", filepath.Join(c.dir, "agent-alpha"), "")
	c.agent("beta", filepath.Join(c.dir, "agent-beta"), "")
	ids := map[string]string{"alpha": c.agentID("alpha"), "beta": c.agentID("beta")}

	trees := map[string]string{
		"alpha": treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 40, BigFiles: 1, BigSize: 3 << 20, Depth: 3, Seed: 1}),
		"beta":  treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 30, BigFiles: 2, BigSize: 1 << 20, Depth: 2, Seed: 2}),
	}
	for name, dir := range trees {
		c.must("POST", "/api/sources", map[string]any{
			"name": "files-" + name, "type": "files", "agentId": ids[name], "config": map[string]any{"paths": []string{dir}},
		})
	}
	// Two agents: a source without agentId is ambiguous.
	if r := c.call(c.token, "POST", "/api/sources", map[string]any{"name": "x", "type": "files", "config": map[string]any{"paths": []string{"/tmp"}}}); r.status != 400 || r.field() != "agentId" {
		t.Fatalf("source without agentId: %d %s", r.status, r.raw)
	}

	full := c.createBackups("full", "files-alpha", "files-beta")
	for _, id := range full {
		if b := c.waitBackup(id, jobTimeout); b.Status != "completed" || b.SnapshotID == "" {
			t.Fatalf("full backup %s: %+v", id, b)
		}
	}
	var list struct {
		Backups    []backup
		Pagination struct{ Total int }
	}
	c.must("GET", "/api/backups?source=files-alpha&status=completed", nil).decode(t, &list)
	if list.Pagination.Total != 1 || list.Backups[0].ID != full[0] {
		t.Fatalf("list by source: %+v", list)
	}

	// An incremental after a change names its parent.
	if err := os.WriteFile(filepath.Join(trees["alpha"], "added-after-full.txt"), []byte("new data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inc := c.createBackups("incremental", "files-alpha")[0]
	b := c.waitBackup(inc, jobTimeout)
	if b.Status != "completed" || b.ParentBackup == nil || b.ParentBackup.ID != full[0] || b.Metadata == nil {
		t.Fatalf("incremental: %+v", b)
	}

	// Restore each source's newest backup on its own agent and compare.
	for name, id := range map[string]string{"alpha": inc, "beta": full[1]} {
		target := filepath.Join(t.TempDir(), "restore-"+name)
		job := c.restore(id, target, jobTimeout)
		if job["agentId"] != ids[name] || job["progress"] != float64(100) {
			t.Fatalf("restore on %s: %v", name, job)
		}
		treetest.Compare(t, trees[name], filepath.Join(target, trees[name]))
	}

	// Restoring over the live source needs overwriteExisting.
	r := c.call(c.token, "POST", "/api/recovery/restore", map[string]any{"backupId": inc, "targetPath": trees["alpha"]})
	if r.status != 400 || r.field() != "overwriteExisting" {
		t.Fatalf("restore over the source without overwriteExisting: %d %s", r.status, r.raw)
	}
}

// Bad input over the real process: 4xx naming the field, 401 without a
// token, never a 500.
func TestControllerBadInput(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	if r := c.call("", "GET", "/api/backups", nil); r.status != 401 || r.Error == nil || r.Error.Code != "UNAUTHENTICATED" {
		t.Fatalf("no token: %d %s", r.status, r.raw)
	}
	cases := []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"POST", "/api/backups", `{"databases": [`, 400, "body"},
		{"POST", "/api/backups", map[string]any{"databases": []string{"nope"}}, 400, "databases[0]"},
		{"GET", "/api/backups/00000000-0000-4000-8000-000000000000", nil, 404, "id"},
		{"POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 25 * * *", "sources": []string{"x"}}, 400, "cronExpression"},
		{"POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 2 * * *", "timezone": "Europe/Nowhere", "sources": []string{"x"}}, 400, "timezone"},
		{"POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 2 * * *", "retentionDays": -7, "sources": []string{"x"}}, 400, "retentionDays"},
		{"POST", "/api/recovery/restore", map[string]any{"backupId": "00000000-0000-4000-8000-000000000000", "targetPath": "/tmp/x"}, 404, "backupId"},
	}
	for _, tc := range cases {
		r := c.call(c.token, tc.method, tc.path, tc.body)
		if r.status != tc.status || r.field() != tc.field || r.Success {
			t.Errorf("%s %s %v: %d %s, want %d naming %q", tc.method, tc.path, tc.body, r.status, r.raw, tc.status, tc.field)
		}
	}
}

// slowSource registers a files source whose backup runs long enough to
// interfere with (a large sparse file).
func slowSource(t *testing.T, c *cluster, name, agentID string) {
	t.Helper()
	dir := t.TempDir()
	sparseFile(t, dir, 2<<30)
	c.must("POST", "/api/sources", map[string]any{"name": name, "type": "files", "agentId": agentID, "config": map[string]any{"paths": []string{dir}}})
}

// waitRunning waits until the backup is running and has moved bytes.
func waitRunning(t *testing.T, c *cluster, id string) {
	t.Helper()
	poll(t, jobTimeout, "backup "+id+" to be running with progress", func() bool {
		b := c.backup(id)
		if b.Status == "completed" || b.Status == "failed" {
			t.Fatalf("backup %s ended before the fault could be injected: %+v", id, b)
		}
		return b.Status == "running" && b.Progress != nil && b.Progress.BytesDone != "0" && b.Progress.BytesDone != ""
	})
}

// An agent killed with SIGKILL mid-backup: once its lease expires the
// attempt is marked lost with a clear error, and when the agent is back
// the retry succeeds.
func TestAgentKilledMidBackupIsRetried(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	dataDir := filepath.Join(c.dir, "agent-k")
	a := c.agent("k", dataDir, "")
	slowSource(t, c, "slow", c.agentID("k"))
	id := c.createBackups("full", "slow")[0]
	waitRunning(t, c, id)
	a.kill()
	var b backup
	poll(t, time.Minute, "the killed attempt to be marked lost", func() bool {
		b = c.backup(id)
		return strings.Contains(b.Error, "lost")
	})
	if b.Status != "pending" {
		t.Fatalf("after the loss the backup is %q, want pending (queued for a retry): %+v", b.Status, b)
	}
	c.agent("k", dataDir, "x") // same identity; the token is not used again
	if b = c.waitBackup(id, jobTimeout); b.Status != "completed" {
		t.Fatalf("retry after the agent came back: %+v", b)
	}
}

// The controller restarted mid-job: the agent reconnects, the attempt is
// re-attached (or retried) and the backup is recorded once.
func TestControllerRestartMidJob(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.agent("r", filepath.Join(c.dir, "agent-r"), "")
	slowSource(t, c, "slow", c.agentID("r"))
	id := c.createBackups("full", "slow")[0]
	waitRunning(t, c, id)
	c.ctl.kill()
	c.startController()
	b := c.waitBackup(id, jobTimeout)
	if b.Status != "completed" || b.SnapshotID == "" {
		t.Fatalf("backup across a controller restart: %+v", b)
	}
	var list struct {
		Backups    []backup
		Pagination struct{ Total int }
	}
	c.must("GET", "/api/backups?source=slow", nil).decode(t, &list)
	if list.Pagination.Total != 1 {
		t.Fatalf("%d backups recorded for one request, want 1", list.Pagination.Total)
	}
	switch out := c.ctl.out.String(); {
	case strings.Contains(out, "attempt re-attached"):
		t.Log("the restarted controller re-attached the running attempt")
	case strings.Contains(out, "attempt lost"):
		t.Log("the attempt's lease ran out during the restart; it was retried")
	default:
		t.Log("the agent finished while the controller was down and delivered the result after reconnecting")
	}
}

// A cancelled backup reaches "cancelled".
func TestCancelRunningBackup(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	c.agent("c", filepath.Join(c.dir, "agent-c"), "")
	slowSource(t, c, "slow", c.agentID("c"))
	id := c.createBackups("full", "slow")[0]
	waitRunning(t, c, id)
	start := time.Now()
	c.must("POST", "/api/backups/"+id+"/cancel", map[string]any{"reason": "e2e"})
	if b := c.waitBackup(id, 30*time.Second); b.Status != "cancelled" {
		t.Fatalf("cancelled backup ended %+v", b)
	}
	t.Logf("cancel reached a terminal state in %s", time.Since(start).Round(time.Millisecond))
}

// A revoked agent is cut off and refused; reused and expired join tokens
// are refused.
func TestRevocationAndJoinTokens(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	tok := c.joinToken("v", 0)
	v := c.agent("v", filepath.Join(c.dir, "agent-v"), tok)
	id := c.agentID("v")
	c.must("POST", "/api/sources", map[string]any{"name": "src-v", "type": "files", "agentId": id, "config": map[string]any{"paths": []string{t.TempDir()}}})

	// Reused token: a second agent with the same token is refused.
	reuse := c.agent("v2", filepath.Join(c.dir, "agent-v2"), tok)
	poll(t, time.Minute, "agent with a reused token to exit", reuse.exited)
	if !strings.Contains(reuse.out.String(), "already used") {
		t.Fatalf("reused token: %s", reuse.out.String())
	}
	// Expired token.
	var jt struct {
		Token     string
		ExpiresAt time.Time
	}
	c.must("POST", "/api/agents/join-tokens", map[string]any{"ttlSeconds": 1}).decode(t, &jt)
	poll(t, 10*time.Second, "join token to expire", func() bool { return time.Now().After(jt.ExpiresAt.Add(100 * time.Millisecond)) })
	expired := c.agent("v3", filepath.Join(c.dir, "agent-v3"), jt.Token)
	poll(t, time.Minute, "agent with an expired token to exit", expired.exited)
	if !strings.Contains(expired.out.String(), "expired") {
		t.Fatalf("expired token: %s", expired.out.String())
	}

	// Revocation cuts the running agent off; it stops and stays refused.
	c.must("POST", "/api/agents/"+id+"/revoke", map[string]any{"reason": "e2e"})
	poll(t, time.Minute, "revoked agent to stop", v.exited)
	if !strings.Contains(v.out.String(), "revoked") {
		t.Fatalf("revoked agent's output does not say so: %s", v.out.String())
	}
	again := c.agent("v", filepath.Join(c.dir, "agent-v"), "unused")
	poll(t, time.Minute, "revoked agent restarted to be refused", again.exited)
	if r := c.call(c.token, "POST", "/api/backups", map[string]any{"databases": []string{"src-v"}}); r.status != 400 || !strings.Contains(r.raw, "revoked") {
		t.Fatalf("backup of a revoked agent's source: %d %s", r.status, r.raw)
	}
}
