package runner_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

func TestResultKeptUntilAckedAcrossRestart(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	h := newHarness(t, func(o *runner.Options) { o.StateDir = state })
	h.r.Assign(slowAssignment("k", 1, h.repo.Spec()))
	h.slow.waitStarted(t)
	h.r.Cancel(&cofferv1.CancelJob{JobId: "k", Attempt: 1, Epoch: 1})
	res := h.result("k", 3*time.Second)
	if got := h.r.Unacked(); len(got) != 1 || got[0].GetJobId() != "k" {
		t.Fatalf("unacked %v", got)
	}

	// A new runner on the same state dir (agent restart) still has it.
	again, err := runner.New(runner.Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got := again.Unacked()
	if len(got) != 1 || got[0].GetOutcome() != res.GetOutcome() || got[0].GetJobId() != "k" {
		t.Fatalf("after restart unacked %v", got)
	}
	again.Acked(&cofferv1.JobResultAck{JobId: "k", Attempt: 1, Epoch: 1})
	if len(again.Unacked()) != 0 {
		t.Fatal("acked result still pending")
	}
	if files, _ := filepath.Glob(filepath.Join(state, "*")); len(files) != 0 {
		t.Fatalf("acked result still on disk: %v", files)
	}
}

func TestCancelOfUnknownAttemptAnswersCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.r.Cancel(&cofferv1.CancelJob{JobId: "ghost", Attempt: 2, Epoch: 7})
	res := h.result("ghost", 2*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED || res.GetAttempt() != 2 || res.GetEpoch() != 7 {
		t.Fatalf("result %v", res)
	}
}

func TestCorruptStoredResultIsDiscarded(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	os.WriteFile(filepath.Join(state, "6a.1.1.result"), []byte("\xff\xffnot a protobuf"), 0o600)
	r, err := runner.New(runner.Options{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if len(r.Unacked()) != 0 {
		t.Fatal("corrupt result loaded")
	}
}
