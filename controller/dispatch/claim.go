package dispatch

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// claim hands queued jobs to the agent while it has free slots.
func (s *session) claim(ctx context.Context) error {
	for len(s.running) < s.d.cfg.MaxJobsPerAgent {
		now, err := s.d.store.Now(ctx)
		if err != nil {
			s.d.log.Warn("claim: database clock", "agent", s.agentID, "err", err)
			return nil
		}
		job, err := s.d.store.ClaimJob(ctx, s.agentID, now, s.d.cfg.LeaseTTL)
		if errors.Is(err, catalog.ErrNoJob) {
			return nil
		}
		if err != nil {
			s.d.log.Warn("claim job", "agent", s.agentID, "err", err)
			return nil
		}
		a, err := s.d.assignment(ctx, job)
		if err != nil {
			s.d.failUnassignable(ctx, job, err)
			continue
		}
		s.running[job.ID] = &running{attempt: a.Attempt, epoch: a.Epoch}
		s.d.log.Info("job assigned", "agent", s.agentID, "job", job.ID, "kind", string(job.Kind), "attempt", job.Attempt, "epoch", job.Epoch)
		if err := s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Assignment{Assignment: a}}); err != nil {
			return err // the attempt's lease expires and it is retried
		}
	}
	return nil
}

// failUnassignable ends an attempt whose assignment cannot be built (its
// source or storage location was deleted, its secrets do not decrypt).
func (d *Dispatcher) failUnassignable(ctx context.Context, job catalog.Job, cause error) {
	msg := "cannot assign job: " + cause.Error()
	now, err := d.store.Now(ctx)
	if err == nil {
		_, err = d.store.FinishAttempt(ctx, catalog.AttemptRef{JobID: job.ID, Attempt: job.Attempt, Epoch: job.Epoch, AgentID: job.AgentID},
			now, catalog.AttemptResult{Outcome: catalog.OutcomeFailed, Error: msg})
	}
	if err != nil {
		d.log.Error("fail unassignable job", "job", job.ID, "err", err)
		return
	}
	d.log.Warn("job failed before assignment", "job", job.ID, "err", cause)
	d.record(ctx, "system:dispatcher", string(job.Kind)+".failed", string(job.Kind)+"/"+job.SubjectID, map[string]any{"job": job.ID, "error": msg})
}

func leaseOf(job catalog.Job) *timestamppb.Timestamp { return timestamppb.New(job.LeaseExpiresAt) }
