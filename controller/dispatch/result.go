package dispatch

import (
	"context"

	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// result records an attempt's end and acknowledges it. A repeated result
// is acknowledged again (the catalog answers it idempotently).
func (s *session) result(ctx context.Context, res *cofferv1.JobResult) error {
	r := ref(s.agentID, res.GetJobId(), res.GetAttempt(), res.GetEpoch())
	ar := attemptResult(res)
	now, err := s.d.store.Now(ctx)
	if err != nil {
		s.d.log.Warn("record result: database clock", "job", r.JobID, "err", err)
		return nil // the agent resends until acknowledged
	}
	job, err := s.d.store.FinishAttempt(ctx, r, now, ar)
	if err != nil {
		return s.reject(ctx, r, err)
	}
	delete(s.running, r.JobID)
	s.d.log.Info("attempt finished", "agent", s.agentID, "job", job.ID, "attempt", r.Attempt, "outcome", string(ar.Outcome), "jobState", string(job.State))
	details := map[string]any{"job": job.ID, "attempt": r.Attempt, "outcome": string(ar.Outcome), "jobState": string(job.State)}
	if ar.Error != "" {
		details["error"] = ar.Error
	}
	if b := ar.Backup; b != nil {
		details["snapshot"] = b.SnapshotID
	}
	s.d.record(ctx, "agent:"+s.agentID, string(job.Kind)+"."+string(ar.Outcome), string(job.Kind)+"/"+job.SubjectID, details)
	if err := s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_ResultAck{ResultAck: &cofferv1.JobResultAck{
		JobId: res.GetJobId(), Attempt: res.GetAttempt(), Epoch: res.GetEpoch(),
	}}}); err != nil {
		return err
	}
	s.wake() // a slot is free
	return nil
}

// attemptResult converts a JobResult.
func attemptResult(res *cofferv1.JobResult) catalog.AttemptResult {
	var ar catalog.AttemptResult
	switch res.GetOutcome() {
	case cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED:
		ar.Outcome = catalog.OutcomeSucceeded
	case cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED:
		ar.Outcome = catalog.OutcomeCancelled
	default:
		ar.Outcome = catalog.OutcomeFailed
	}
	if e := res.GetError(); e != nil {
		ar.Error, ar.Retryable = e.GetMessage(), e.GetRetryable()
		if e.GetCode() != "" {
			ar.Error = e.GetCode() + ": " + ar.Error
		}
	}
	if ar.Outcome == catalog.OutcomeFailed && ar.Error == "" {
		ar.Error = "the agent reported a failure without a message"
	}
	if p := res.GetProgress(); p != nil {
		cp := protoconv.CatalogProgress(p, 1<<62, nil)
		if rr := res.GetRestore(); rr != nil {
			cp.Steps = protoconv.CatalogSteps(rr.GetSteps())
		}
		ar.Progress = &cp
	}
	if ar.Outcome != catalog.OutcomeSucceeded {
		return ar
	}
	switch d := res.GetDetail().(type) {
	case *cofferv1.JobResult_Backup:
		ar.Backup = &catalog.BackupResult{
			SnapshotID: d.Backup.GetSnapshotId(), SizeBytes: d.Backup.GetSizeBytes(), StoredBytes: d.Backup.GetStoredBytes(),
			EntryCount: d.Backup.GetEntryCount(), Metadata: protoconv.Map(d.Backup.GetMetadata()),
		}
	case *cofferv1.JobResult_Restore:
		ar.Restore = &catalog.RestoreResult{RecoveredTo: protoconv.Time(d.Restore.GetRecoveredTo())}
	case *cofferv1.JobResult_Verify:
		ar.Verify = &catalog.VerifyResult{Passed: d.Verify.GetPassed(), Details: protoconv.Map(d.Verify.GetDetails())}
	}
	return ar
}
