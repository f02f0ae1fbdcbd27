package agent_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent"
	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/session"
	"github.com/cofferhq/coffer/agent/source/files"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// running is an agent started with Run in a goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
	slow   *slowSource
}

func testConfig(t *testing.T, c *agenttest.Controller, dataDir string) agent.Config {
	return agent.Config{
		ControllerAddr: c.Addr,
		DataDir:        dataDir,
		JoinToken:      c.NewToken(t, time.Minute),
		Name:           "db1",
		Hostname:       "db1.test",
		Version:        "1.2.3-test",
		OpenStorage:    agenttest.OpenLocal,
		WALSocket:      agent.WALSocketOff, // not the host's shared default socket
		Backoff:        session.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond},
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// start runs the agent until the test ends; the "slow" source type blocks
// until cancelled.
func start(t *testing.T, cfg agent.Config) *running {
	t.Helper()
	r := &running{done: make(chan error, 1), slow: newSlowSource()}
	if cfg.Sources == nil {
		cfg.Sources = map[string]runner.SourceFactory{
			files.Type: files.New,
			"slow":     func(*cofferv1.SourceSpec) (runner.Source, error) { return r.slow, nil },
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- agent.Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("agent did not stop within 30s of cancel")
		}
	})
	return r
}

// exit waits for Run to return on its own.
func (r *running) exit(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(within):
		t.Fatalf("agent still running after %s", within)
		return nil
	}
}

type slowSource struct {
	started chan struct{}
	stopped chan struct{}
}

func newSlowSource() *slowSource {
	return &slowSource{started: make(chan struct{}, 10), stopped: make(chan struct{}, 10)}
}

func (s *slowSource) Backup(ctx context.Context, job *runner.BackupJob) (*runner.BackupOutput, error) {
	s.started <- struct{}{}
	job.Progress(runner.Progress{Phase: cofferv1.JobPhase_JOB_PHASE_TRANSFERRING, BytesDone: 42, ETA: -1})
	<-ctx.Done()
	s.stopped <- struct{}{}
	return nil, ctx.Err()
}

func (s *slowSource) Restore(ctx context.Context, _ *runner.RestoreJob) (*runner.RestoreOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func wait(t *testing.T, ch <-chan struct{}, within time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(within):
		t.Fatalf("%s did not happen within %s", what, within)
	}
}

func slowJob(jobID string, repo *agenttest.Repo) *cofferv1.ConnectResponse {
	return agenttest.Assign(&cofferv1.JobAssignment{
		JobId: jobID, Attempt: 1, Epoch: 1, Kind: cofferv1.JobKind_JOB_KIND_BACKUP,
		Spec: &cofferv1.JobAssignment_Backup{Backup: &cofferv1.BackupSpec{
			BackupId: "b-" + jobID, Source: &cofferv1.SourceSpec{Type: "slow"}, Repository: repo.Spec(), Type: "full",
		}},
	})
}
