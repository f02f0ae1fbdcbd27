package runner_test

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/treetest"
)

func TestProgressAtLeastOncePerSecondWithIncreasingSequence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Assign(slowAssignment("slow", 3, h.repo.Spec()))
	h.slow.waitStarted(t)
	var last int64
	var arrivals []time.Time
	for range 6 {
		m := h.expect(3*time.Second, "progress report", agenttest.IsProgress("slow")).GetProgress()
		arrivals = append(arrivals, time.Now())
		if m.GetSequence() != last+1 || m.GetEpoch() != 3 {
			t.Fatalf("report sequence %d epoch %d after %d", m.GetSequence(), m.GetEpoch(), last)
		}
		last = m.GetSequence()
	}
	// The first report goes out at once; later ones on the ticker. Allow
	// scheduling jitter on a loaded machine for single gaps, not on average.
	var worst time.Duration
	for i := 2; i < len(arrivals); i++ {
		worst = max(worst, arrivals[i].Sub(arrivals[i-1]))
	}
	mean := arrivals[len(arrivals)-1].Sub(arrivals[1]) / time.Duration(len(arrivals)-2)
	t.Logf("progress gaps: mean %s, worst %s", mean, worst)
	if mean > time.Second || worst > 1500*time.Millisecond {
		t.Fatalf("progress gaps: mean %s, worst %s; want at least one report a second", mean, worst)
	}
	if run := h.r.Running(); len(run) != 1 || run[0].GetJobId() != "slow" || run[0].GetEpoch() != 3 {
		t.Fatalf("Running() = %v", run)
	}
}

func TestCancelReportsCancelledPromptly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Assign(slowAssignment("c", 1, h.repo.Spec()))
	h.slow.waitStarted(t)
	start := time.Now()
	h.r.Cancel(&cofferv1.CancelJob{JobId: "c", Attempt: 1, Epoch: 1, Reason: "user"})
	res := h.result("c", 3*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED {
		t.Fatalf("outcome %s, want CANCELLED", res.GetOutcome())
	}
	t.Logf("cancelled in %s", time.Since(start))
	if len(h.r.Running()) != 0 {
		t.Fatal("cancelled attempt still listed as running")
	}
}

func TestCancelRealBackupStuckInUpload(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withFaults(faulty.Rule{Op: faulty.OpSave, Prefix: "data/", Fault: faulty.Delay, Delay: time.Hour}))
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 10, BigFiles: 2, BigSize: 2 << 20, Seed: 3})
	h.r.Assign(backupAssignment("stuck", 1, filesSpec(t, src), h.repo.Spec()))
	h.expect(10*time.Second, "progress", agenttest.IsProgress("stuck"))
	start := time.Now()
	h.r.Cancel(&cofferv1.CancelJob{JobId: "stuck", Attempt: 1, Epoch: 1})
	res := h.result("stuck", 5*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED || res.GetBackup() != nil {
		t.Fatalf("outcome %s backup %v, want CANCELLED without a snapshot", res.GetOutcome(), res.GetBackup())
	}
	t.Logf("real backup cancelled in %s", time.Since(start))
}

func TestAbortStopsWorkAndSilencesAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Assign(slowAssignment("a", 1, h.repo.Spec()))
	h.slow.waitStarted(t)
	h.r.Abort(&cofferv1.AbortJob{JobId: "a", Attempt: 1, Epoch: 1, Reason: cofferv1.AbortReason_ABORT_REASON_STALE_EPOCH})
	h.slow.waitStopped(t, 2*time.Second)
	// Drop what was sent before the abort; after it, nothing more about
	// the attempt may come: poll for a while and fail on any.
	for len(h.msgs) > 0 {
		<-h.msgs
	}
	deadline := time.After(2500 * time.Millisecond)
	for {
		select {
		case m := <-h.msgs:
			if m.GetProgress().GetJobId() == "a" || m.GetResult().GetJobId() == "a" {
				t.Fatalf("aborted attempt reported again: %v", m)
			}
		case <-deadline:
			if len(h.r.Running()) != 0 || len(h.r.Unacked()) != 0 {
				t.Fatalf("aborted attempt still known: running %v unacked %v", h.r.Running(), h.r.Unacked())
			}
			// A redelivered assignment of the aborted attempt is not run.
			h.r.Assign(slowAssignment("a", 1, h.repo.Spec()))
			select {
			case <-h.slow.started:
				t.Fatal("aborted attempt started again")
			case <-time.After(300 * time.Millisecond):
			}
			return
		}
	}
}

func TestNewerEpochSupersedesRunningAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Assign(slowAssignment("e", 1, h.repo.Spec()))
	h.slow.waitStarted(t)
	h.r.Assign(slowAssignment("e", 2, h.repo.Spec()))
	h.slow.waitStopped(t, 2*time.Second)
	h.slow.waitStarted(t)
	run := h.r.Running()
	if len(run) != 1 || run[0].GetEpoch() != 2 {
		t.Fatalf("running %v, want only epoch 2", run)
	}
	if h.r.Reportable(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Progress{Progress: &cofferv1.JobProgressReport{JobId: "e", Attempt: 1, Epoch: 1}}}) {
		t.Fatal("stale epoch still reportable")
	}
}

func TestDuplicateAssignmentRunsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := slowAssignment("d", 1, h.repo.Spec())
	h.r.Assign(a)
	h.slow.waitStarted(t)
	h.r.Assign(a)
	h.expect(2*time.Second, "first accepted", agenttest.IsAccepted("d"))
	h.expect(2*time.Second, "second accepted", agenttest.IsAccepted("d"))
	select {
	case <-h.slow.started:
		t.Fatal("duplicate assignment started a second run")
	case <-time.After(300 * time.Millisecond):
	}
}

func TestFailingBackupNeverSucceeds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withFaults(faulty.Rule{Op: faulty.OpSave, Prefix: "snapshots/", Fault: faulty.Fail}))
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 5, Seed: 4})
	h.r.Assign(backupAssignment("f", 1, filesSpec(t, src), h.repo.Spec()))
	res := h.result("f", 60*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_FAILED || res.GetBackup() != nil {
		t.Fatalf("outcome %s with backup %v, want FAILED", res.GetOutcome(), res.GetBackup())
	}
	if msg := res.GetError().GetMessage(); msg == "" || res.GetError().GetCode() == "" {
		t.Fatalf("error without code or message: %v", res.GetError())
	}

	// A missing source path fails clearly, naming the path.
	h.r.Assign(backupAssignment("missing", 1, filesSpec(t, "/nonexistent/coffer-test"), h.repo.Spec()))
	res = h.result("missing", 30*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_FAILED || res.GetError().GetCode() != runner.CodeSourceFailed {
		t.Fatalf("missing path: %s %v", res.GetOutcome(), res.GetError())
	}
	if !contains(res.GetError().GetMessage(), "/nonexistent/coffer-test") {
		t.Fatalf("error does not name the path: %s", res.GetError().GetMessage())
	}

	// A wrong key fails with wrong_key, not retryable.
	rs := h.repo.Spec()
	rs.KeyMaterial = []byte("0000000000000000000000000000000000000000000000000000000000000000")
	h.r.Assign(backupAssignment("wrongkey", 1, filesSpec(t, src), rs))
	res = h.result("wrongkey", 30*time.Second)
	if res.GetError().GetCode() != runner.CodeWrongKey || res.GetError().GetRetryable() {
		t.Fatalf("wrong key: %v", res.GetError())
	}
	if contains(res.GetError().GetMessage(), "0000000000") {
		t.Fatal("error message contains key material")
	}
}

func TestUnsupportedSourceType(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Assign(backupAssignment("pg", 1, &cofferv1.SourceSpec{Type: "postgres"}, h.repo.Spec()))
	res := h.result("pg", 10*time.Second)
	if res.GetError().GetCode() != runner.CodeUnsupported || !contains(res.GetError().GetMessage(), "postgres") {
		t.Fatalf("postgres on a files-only agent: %v", res.GetError())
	}
}

// loadSnapshot reads a snapshot straight from the repository.

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
