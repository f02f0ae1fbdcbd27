package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Sweep runs until ctx ends, marking attempts whose lease expired as lost
// and failing attempts that stalled. Every controller replica may run it:
// the catalog's fencing lets exactly one of them end each attempt.
func (d *Dispatcher) Sweep(ctx context.Context) {
	t := time.NewTicker(d.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.SweepOnce(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("sweep attempts", "err", err)
			}
		}
	}
}

// SweepOnce does one pass of Sweep.
func (d *Dispatcher) SweepOnce(ctx context.Context) error {
	now, err := d.store.Now(ctx)
	if err != nil {
		return err
	}
	expired, err := d.store.ExpiredAttempts(ctx, now)
	if err != nil {
		return err
	}
	for _, a := range expired {
		msg, requeued := d.markLost(ctx, a.JobID, a.Attempt, a.Epoch, a.AgentID, "no progress report renewed its lease")
		if s := d.session(a.AgentID); s != nil {
			s.enqueue(abort(a.JobID, int32(a.Attempt), a.Epoch, cofferv1.AbortReason_ABORT_REASON_LEASE_EXPIRED, msg))
		}
		if requeued {
			d.JobQueued(a.AgentID)
		}
	}
	stalled, err := d.store.StalledAttempts(ctx, now, d.cfg.StallTimeout)
	if err != nil {
		return err
	}
	for _, a := range stalled {
		d.failStalled(ctx, a, now)
	}
	return nil
}

// failStalled fails an attempt whose bytes stopped moving; it is retried
// while attempts remain. Its agent is told to abort it.
func (d *Dispatcher) failStalled(ctx context.Context, a catalog.Attempt, now time.Time) {
	msg := fmt.Sprintf("stalled: attempt %d on agent %s moved no bytes for %s although its agent kept reporting",
		a.Attempt, a.AgentID, d.cfg.StallTimeout)
	job, err := d.store.FinishAttempt(ctx, catalog.AttemptRef{JobID: a.JobID, Attempt: a.Attempt, Epoch: a.Epoch, AgentID: a.AgentID},
		now, catalog.AttemptResult{Outcome: catalog.OutcomeFailed, Error: msg, Retryable: true})
	if errors.Is(err, catalog.ErrStaleEpoch) {
		return // ended meanwhile
	}
	if err != nil {
		d.log.Warn("fail stalled attempt", "job", a.JobID, "err", err)
		return
	}
	d.log.Warn("attempt stalled", "job", a.JobID, "attempt", a.Attempt, "agent", a.AgentID, "next", job.State)
	d.record(ctx, "system:dispatcher", string(job.Kind)+".attempt_stalled", string(job.Kind)+"/"+job.SubjectID,
		map[string]any{"job": a.JobID, "attempt": a.Attempt, "agent": a.AgentID, "jobState": string(job.State)})
	if s := d.session(a.AgentID); s != nil {
		s.enqueue(abort(a.JobID, int32(a.Attempt), a.Epoch, cofferv1.AbortReason_ABORT_REASON_STALLED, msg))
	}
	if job.State == catalog.JobQueued {
		d.JobQueued(job.AgentID)
	}
}
