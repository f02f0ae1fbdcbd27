package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// handle processes one agent message. Catalog errors that concern the
// attempt become AbortJob; only a broken stream ends the session.
func (s *session) handle(ctx context.Context, m *cofferv1.ConnectRequest) error {
	switch msg := m.GetMessage().(type) {
	case *cofferv1.ConnectRequest_Heartbeat:
		now, err := s.d.store.Now(ctx)
		if err == nil {
			err = s.d.store.TouchAgent(ctx, s.agentID, now, s.version, nil)
		}
		if err != nil {
			s.d.log.Warn("record heartbeat", "agent", s.agentID, "err", err)
		}
	case *cofferv1.ConnectRequest_Accepted:
		a := msg.Accepted
		return s.renew(ctx, ref(s.agentID, a.GetJobId(), a.GetAttempt(), a.GetEpoch()), nil)
	case *cofferv1.ConnectRequest_Progress:
		p := msg.Progress
		cp := protoconv.CatalogProgress(p.GetProgress(), p.GetSequence(), p.GetSteps())
		return s.renew(ctx, ref(s.agentID, p.GetJobId(), p.GetAttempt(), p.GetEpoch()), &cp)
	case *cofferv1.ConnectRequest_Result:
		return s.result(ctx, msg.Result)
	case *cofferv1.ConnectRequest_StorageTestResult:
		s.d.storageTested(s.agentID, msg.StorageTestResult)
	case *cofferv1.ConnectRequest_WalArchive:
		s.walArchive(ctx, msg.WalArchive)
	case *cofferv1.ConnectRequest_Hello:
		s.d.log.Warn("second hello on one channel ignored", "agent", s.agentID)
	default:
		s.d.log.Warn("unknown message from agent ignored", "agent", s.agentID)
	}
	return nil
}

func ref(agentID, jobID string, attempt int32, epoch int64) catalog.AttemptRef {
	return catalog.AttemptRef{JobID: jobID, Attempt: int(attempt), Epoch: epoch, AgentID: agentID}
}

// renew renews the attempt's lease, storing progress when given. An
// attempt being cancelled is not renewed: it must end within its lease.
func (s *session) renew(ctx context.Context, r catalog.AttemptRef, p *catalog.Progress) error {
	if run := s.running[r.JobID]; run != nil && run.cancelling {
		return nil
	}
	now, err := s.d.store.Now(ctx)
	if err != nil {
		s.d.log.Warn("renew lease: database clock", "job", r.JobID, "err", err)
		return nil
	}
	var job catalog.Job
	if p != nil {
		job, err = s.d.store.ReportProgress(ctx, r, now, s.d.cfg.LeaseTTL, *p)
	} else {
		job, err = s.d.store.RenewLease(ctx, r, now, s.d.cfg.LeaseTTL)
	}
	if err != nil {
		return s.reject(ctx, r, err)
	}
	run := s.running[r.JobID]
	if run == nil { // e.g. assigned by this controller before a reconnect
		run = &running{attempt: int32(r.Attempt), epoch: r.Epoch}
		s.running[r.JobID] = run
	}
	if job.CancelRequested && !run.cancelling {
		return s.sendCancel(job.ID, run, job.Error)
	}
	return nil
}

// reject answers a report the catalog refused for this attempt with an
// AbortJob, marking an expired attempt lost first. Other errors (the
// database is unreachable) are logged: the agent reports again.
func (s *session) reject(ctx context.Context, r catalog.AttemptRef, err error) error {
	reason, msg := cofferv1.AbortReason_ABORT_REASON_UNSPECIFIED, ""
	switch {
	case errors.Is(err, catalog.ErrLeaseExpired):
		reason = cofferv1.AbortReason_ABORT_REASON_LEASE_EXPIRED
		var requeued bool
		msg, requeued = s.d.markLost(ctx, r.JobID, r.Attempt, r.Epoch, s.agentID, "its lease expired before the agent reported again")
		if requeued {
			defer s.wake()
		}
	case errors.Is(err, catalog.ErrStaleEpoch):
		reason, msg = cofferv1.AbortReason_ABORT_REASON_STALE_EPOCH, "this attempt is no longer current"
		if job, gerr := s.d.store.GetJob(ctx, r.JobID); gerr == nil && job.State.Terminal() {
			reason, msg = cofferv1.AbortReason_ABORT_REASON_JOB_FINISHED, fmt.Sprintf("the job already ended %s", job.State)
		}
	case errors.Is(err, catalog.ErrNotFound):
		reason, msg = cofferv1.AbortReason_ABORT_REASON_UNKNOWN_JOB, "the controller knows no such job"
	default:
		s.d.log.Warn("attempt report not recorded", "agent", s.agentID, "job", r.JobID, "err", err)
		return nil
	}
	delete(s.running, r.JobID)
	s.d.log.Info("attempt aborted", "agent", s.agentID, "job", r.JobID, "attempt", r.Attempt, "epoch", r.Epoch, "reason", reason.String())
	return s.send(abort(r.JobID, int32(r.Attempt), r.Epoch, reason, msg))
}

func abort(jobID string, attempt int32, epoch int64, reason cofferv1.AbortReason, msg string) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Abort{Abort: &cofferv1.AbortJob{
		JobId: jobID, Attempt: attempt, Epoch: epoch, Reason: reason, Message: msg,
	}}}
}

func (s *session) sendCancel(jobID string, run *running, reason string) error {
	run.cancelling = true
	return s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Cancel{Cancel: &cofferv1.CancelJob{
		JobId: jobID, Attempt: run.attempt, Epoch: run.epoch, Reason: reason,
	}}})
}

// checkCancels sends CancelJob for attempts whose job was asked to stop
// (again on every tick, since delivery is at least once) and aborts those
// the catalog no longer considers current.
func (s *session) checkCancels(ctx context.Context) error {
	for id, run := range s.running {
		job, err := s.d.store.GetJob(ctx, id)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			s.d.log.Warn("check job", "job", id, "err", err)
			continue
		}
		if errors.Is(err, catalog.ErrNotFound) || job.State != catalog.JobRunning || job.Attempt != int(run.attempt) || job.Epoch != run.epoch {
			if err := s.reject(ctx, ref(s.agentID, id, run.attempt, run.epoch), catalog.ErrStaleEpoch); err != nil {
				return err
			}
			continue
		}
		if job.CancelRequested {
			if err := s.sendCancel(id, run, job.Error); err != nil {
				return err
			}
		}
	}
	return nil
}

// markLost ends an expired attempt as lost and returns the message saying
// why, and whether the job was queued again (attempts remain); the caller
// wakes the agent's session after telling it to abort.
func (d *Dispatcher) markLost(ctx context.Context, jobID string, attempt int, epoch int64, agentID, why string) (string, bool) {
	now, err := d.store.Now(ctx)
	if err != nil {
		return "lease expired", false
	}
	msg := fmt.Sprintf("attempt %d on agent %s was lost: %s (lease ended before %s); the agent stopped, crashed or lost contact",
		attempt, agentID, why, now.UTC().Format(time.RFC3339))
	job, err := d.store.MarkAttemptLost(ctx, jobID, attempt, epoch, now, msg)
	if err != nil {
		return msg, false
	}
	d.log.Warn("attempt lost", "job", jobID, "attempt", attempt, "agent", agentID, "next", job.State)
	d.record(ctx, "system:dispatcher", string(job.Kind)+".attempt_lost", string(job.Kind)+"/"+job.SubjectID,
		map[string]any{"job": jobID, "attempt": attempt, "agent": agentID, "jobState": string(job.State)})
	return msg, job.State == catalog.JobQueued
}
