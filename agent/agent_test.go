package agent_test

import (
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/session"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/treetest"
)

func TestBackupAndRestoreThroughTheChannel(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	repo := agenttest.NewRepo(t)
	start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)

	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 30, BigFiles: 1, BigSize: 3 << 20, Depth: 3, Seed: 9})
	cfgStruct, _ := structpb.NewStruct(map[string]any{"paths": []any{src}})
	conn.Send(agenttest.Assign(&cofferv1.JobAssignment{
		JobId: "backup-1", Attempt: 1, Epoch: 1, Kind: cofferv1.JobKind_JOB_KIND_BACKUP,
		Spec: &cofferv1.JobAssignment_Backup{Backup: &cofferv1.BackupSpec{
			BackupId: "b1", Source: &cofferv1.SourceSpec{Id: "s1", Name: "docs", Type: "files", Config: cfgStruct},
			Repository: repo.Spec(), Type: "full",
		}},
	}))
	conn.Expect(t, 5*time.Second, "accepted", agenttest.IsAccepted("backup-1"))
	conn.Expect(t, 5*time.Second, "progress", agenttest.IsProgress("backup-1"))
	res := conn.Expect(t, 60*time.Second, "result", agenttest.IsResult("backup-1")).GetResult()
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("backup %s: %v", res.GetOutcome(), res.GetError())
	}
	conn.Send(agenttest.Ack(res))

	target := filepath.Join(t.TempDir(), "out")
	conn.Send(agenttest.Assign(&cofferv1.JobAssignment{
		JobId: "restore-1", Attempt: 1, Epoch: 1, Kind: cofferv1.JobKind_JOB_KIND_RESTORE,
		Spec: &cofferv1.JobAssignment_Restore{Restore: &cofferv1.RestoreSpec{
			RecoveryJobId: "r1", BackupId: "b1", SnapshotId: res.GetBackup().GetSnapshotId(),
			Source: &cofferv1.SourceSpec{Type: "files"}, Repository: repo.Spec(), TargetPath: target,
		}},
	}))
	rres := conn.Expect(t, 60*time.Second, "restore result", agenttest.IsResult("restore-1")).GetResult()
	if rres.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("restore %s: %v", rres.GetOutcome(), rres.GetError())
	}
	conn.Send(agenttest.Ack(rres))
	treetest.Compare(t, src, filepath.Join(target, src))
}

func TestResultResentAfterReconnectUntilAcked(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	repo := agenttest.NewRepo(t)
	a := start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)
	conn.Send(slowJob("j", repo))
	wait(t, a.slow.started, 10*time.Second, "job start")
	conn.Send(agenttest.Cancel("j", 1, 1))
	first := conn.Expect(t, 5*time.Second, "result", agenttest.IsResult("j")).GetResult()

	// Not acknowledged: the next stream gets it again right after the hello.
	conn.Drop()
	conn = c.NextConn(t, 10*time.Second)
	again := conn.Expect(t, 5*time.Second, "resent result", agenttest.IsResult("j")).GetResult()
	if again.GetOutcome() != first.GetOutcome() || again.GetEpoch() != first.GetEpoch() {
		t.Fatalf("resent %v, first %v", again, first)
	}
	conn.Send(agenttest.Ack(again))
	// Acknowledged: a later stream does not see it. The heartbeat proves the
	// stream is up and the result would have been sent before it.
	conn.Expect(t, 3*time.Second, "heartbeat after ack", agenttest.IsHeartbeat)
	conn.Drop()
	conn = c.NextConn(t, 10*time.Second)
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		if m := conn.Next(100 * time.Millisecond); m.GetResult() != nil {
			t.Fatalf("acknowledged result sent again: %v", m.GetResult())
		}
	}
}

func TestCancelEndsCancelledQuickly(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	c.AutoAck.Store(true)
	repo := agenttest.NewRepo(t)
	a := start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)
	conn.Send(slowJob("c", repo))
	wait(t, a.slow.started, 10*time.Second, "job start")
	begin := time.Now()
	conn.Send(agenttest.Cancel("c", 1, 1))
	res := conn.Expect(t, 3*time.Second, "cancel result", agenttest.IsResult("c")).GetResult()
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED {
		t.Fatalf("outcome %s", res.GetOutcome())
	}
	t.Logf("cancel to CANCELLED: %s", time.Since(begin))
}

func TestAbortStopsTheAttempt(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	repo := agenttest.NewRepo(t)
	a := start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)
	conn.Send(slowJob("x", repo))
	wait(t, a.slow.started, 10*time.Second, "job start")
	conn.Expect(t, 3*time.Second, "progress", agenttest.IsProgress("x"))
	conn.Send(agenttest.Abort("x", 1, 1, cofferv1.AbortReason_ABORT_REASON_LEASE_EXPIRED))
	wait(t, a.slow.stopped, 3*time.Second, "work stop after abort")
	// Give in-flight messages a moment, then nothing about x may arrive.
	conn.Expect(t, 3*time.Second, "heartbeat", agenttest.IsHeartbeat)
	deadline := time.Now().Add(2500 * time.Millisecond)
	for time.Now().Before(deadline) {
		m := conn.Next(100 * time.Millisecond)
		if m.GetProgress().GetJobId() == "x" || m.GetResult().GetJobId() == "x" {
			t.Fatalf("aborted attempt reported: %v", m)
		}
	}
}

func TestReconnectsWithGrowingBackoff(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	cfg := testConfig(t, c, t.TempDir())
	cfg.Backoff = session.Backoff{Initial: 100 * time.Millisecond, Max: 800 * time.Millisecond}
	start(t, cfg)
	var opened []time.Time
	for range 6 {
		conn := c.NextConn(t, 10*time.Second)
		opened = append(opened, conn.Opened)
		conn.Drop()
	}
	var gaps []time.Duration
	for i := 1; i < len(opened); i++ {
		gaps = append(gaps, opened[i].Sub(opened[i-1]))
	}
	t.Logf("reconnect gaps: %v", gaps)
	// Waits are drawn from [d/2, d) with d = 100, 200, 400, 800, 800 ms.
	if gaps[3] < 400*time.Millisecond || gaps[4] < 400*time.Millisecond {
		t.Fatalf("backoff did not grow: %v", gaps)
	}
	for _, g := range gaps {
		if g > 5*time.Second {
			t.Fatalf("a reconnect took %s, more than the 800ms cap allows: %v", g, gaps)
		}
	}
}

func TestReconnectsWhenControllerFallsSilent(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	start(t, testConfig(t, c, t.TempDir()))
	c.NextConn(t, 10*time.Second)
	c.Mute.Store(true)
	// Three 1s heartbeat intervals of silence, then a new stream.
	c.NextConn(t, 10*time.Second)
}

func TestReattachReportsRunningJobs(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	repo := agenttest.NewRepo(t)
	a := start(t, testConfig(t, c, t.TempDir()))
	conn := c.NextConn(t, 10*time.Second)
	conn.Send(slowJob("r", repo))
	wait(t, a.slow.started, 10*time.Second, "job start")
	last := conn.Expect(t, 3*time.Second, "progress", agenttest.IsProgress("r")).GetProgress()

	conn.Drop()
	conn = c.NextConn(t, 10*time.Second)
	run := conn.Hello.GetRunningJobs()
	if len(run) != 1 || run[0].GetJobId() != "r" || run[0].GetEpoch() != 1 || run[0].GetProgress().GetBytesDone() != 42 {
		t.Fatalf("hello running jobs %v", run)
	}
	// Reattached (the test controller's default): progress continues with
	// increasing sequence numbers.
	next := conn.Expect(t, 3*time.Second, "progress after reattach", agenttest.IsProgress("r")).GetProgress()
	if next.GetSequence() <= last.GetSequence() {
		t.Fatalf("sequence %d after %d", next.GetSequence(), last.GetSequence())
	}

	// A controller that has given the attempt up answers the hello with an
	// abort: the work stops and the job is not reported again.
	c.Reattach = func(rj *cofferv1.RunningJob) *cofferv1.ConnectResponse {
		return agenttest.Abort(rj.GetJobId(), rj.GetAttempt(), rj.GetEpoch(), cofferv1.AbortReason_ABORT_REASON_LEASE_EXPIRED)
	}
	conn.Drop()
	conn = c.NextConn(t, 10*time.Second)
	wait(t, a.slow.stopped, 3*time.Second, "work stop after reattach abort")
	conn.Drop()
	conn = c.NextConn(t, 10*time.Second)
	if n := len(conn.Hello.GetRunningJobs()); n != 0 {
		t.Fatalf("aborted job still reported in hello: %v", conn.Hello.GetRunningJobs())
	}
}
