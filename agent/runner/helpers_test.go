package runner_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/source/files"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
)

// harness runs a Runner whose messages land in a channel, filtered by
// Reportable at send time as the session does.
type harness struct {
	t    *testing.T
	r    *runner.Runner
	repo *agenttest.Repo
	msgs chan *cofferv1.ConnectRequest
	slow *slowSource
}

func newHarness(t *testing.T, tweak func(*runner.Options)) *harness {
	t.Helper()
	h := &harness{t: t, repo: agenttest.NewRepo(t), msgs: make(chan *cofferv1.ConnectRequest, 10000), slow: newSlowSource()}
	var mu sync.Mutex
	opts := runner.Options{
		Sources: map[string]runner.SourceFactory{
			files.Type: files.New,
			"slow":     func(*cofferv1.SourceSpec) (runner.Source, error) { return h.slow, nil },
		},
		OpenStorage: agenttest.OpenLocal,
		StateDir:    t.TempDir(),
		Hostname:    "test-host",
		Log:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Send: func(m *cofferv1.ConnectRequest) bool {
			mu.Lock()
			r := h.r
			mu.Unlock()
			if r != nil && !r.Reportable(m) {
				return true
			}
			h.msgs <- m
			return true
		},
	}
	if tweak != nil {
		tweak(&opts)
	}
	r, err := runner.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	h.r = r
	mu.Unlock()
	t.Cleanup(r.Close)
	return h
}

// expect returns the next message matching, failing after timeout.
func (h *harness) expect(timeout time.Duration, what string, match func(*cofferv1.ConnectRequest) bool) *cofferv1.ConnectRequest {
	h.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-h.msgs:
			if match(m) {
				return m
			}
		case <-deadline.C:
			h.t.Fatalf("no %s within %s", what, timeout)
			return nil
		}
	}
}

func (h *harness) result(jobID string, timeout time.Duration) *cofferv1.JobResult {
	h.t.Helper()
	return h.expect(timeout, "result of "+jobID, agenttest.IsResult(jobID)).GetResult()
}

func filesSpec(t *testing.T, paths ...string) *cofferv1.SourceSpec {
	t.Helper()
	list := make([]any, len(paths))
	for i, p := range paths {
		list[i] = p
	}
	cfg, err := structpb.NewStruct(map[string]any{"paths": list, "exclude": []any{"*.skip"}})
	if err != nil {
		t.Fatal(err)
	}
	return &cofferv1.SourceSpec{Id: "src-1", Name: "docs", Type: files.Type, Config: cfg}
}

func backupAssignment(jobID string, epoch int64, src *cofferv1.SourceSpec, rs *cofferv1.RepositorySpec) *cofferv1.JobAssignment {
	return &cofferv1.JobAssignment{
		JobId: jobID, Attempt: 1, Epoch: epoch, Kind: cofferv1.JobKind_JOB_KIND_BACKUP, LeaseTtlSeconds: 30,
		Spec: &cofferv1.JobAssignment_Backup{Backup: &cofferv1.BackupSpec{
			BackupId: "b-" + jobID, Source: src, Repository: rs, Type: "full",
		}},
	}
}

func restoreAssignment(jobID, snapshot, target string, overwrite bool, rs *cofferv1.RepositorySpec) *cofferv1.JobAssignment {
	return &cofferv1.JobAssignment{
		JobId: jobID, Attempt: 1, Epoch: 1, Kind: cofferv1.JobKind_JOB_KIND_RESTORE,
		Spec: &cofferv1.JobAssignment_Restore{Restore: &cofferv1.RestoreSpec{
			RecoveryJobId: "r-" + jobID, SnapshotId: snapshot, Repository: rs,
			Source: &cofferv1.SourceSpec{Type: files.Type}, TargetPath: target, OverwriteExisting: overwrite,
		}},
	}
}

// slowSource blocks until its context ends; it never reports progress, so
// every report a test sees comes from the runner's own ticker.
type slowSource struct {
	started chan struct{}
	stopped chan error
}

func newSlowSource() *slowSource {
	return &slowSource{started: make(chan struct{}, 10), stopped: make(chan error, 10)}
}

func (s *slowSource) Backup(ctx context.Context, _ *runner.BackupJob) (*runner.BackupOutput, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	s.stopped <- ctx.Err()
	return nil, ctx.Err()
}

func (s *slowSource) Restore(ctx context.Context, _ *runner.RestoreJob) (*runner.RestoreOutput, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	s.stopped <- ctx.Err()
	return nil, ctx.Err()
}

func (s *slowSource) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-s.started:
	case <-time.After(10 * time.Second):
		t.Fatal("slow source never started")
	}
}

func (s *slowSource) waitStopped(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-s.stopped:
	case <-time.After(within):
		t.Fatalf("source still running %s after the stop", within)
	}
}

func slowAssignment(jobID string, epoch int64, rs *cofferv1.RepositorySpec) *cofferv1.JobAssignment {
	return backupAssignment(jobID, epoch, &cofferv1.SourceSpec{Type: "slow"}, rs)
}

// withFaults makes the runner's repositories local ones wrapped in faulty
// with rules.
func withFaults(rules ...faulty.Rule) func(*runner.Options) {
	return func(o *runner.Options) {
		o.OpenStorage = func(ctx context.Context, spec *cofferv1.RepositorySpec, create bool) (storage.Backend, error) {
			be, err := agenttest.OpenLocal(ctx, spec, create)
			if err != nil {
				return nil, err
			}
			return faulty.New(be, rules...), nil
		}
	}
}
