package runner

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// run executes one attempt and records its result.
func (r *Runner) run(j *job, log *slog.Logger) {
	defer r.wg.Done()
	done := make(chan struct{})
	reporting := make(chan struct{})
	go func() { defer close(reporting); r.reportLoop(j, done) }()

	res := &cofferv1.JobResult{JobId: j.key.jobID, Attempt: j.key.attempt, Epoch: j.key.epoch}
	err := r.execute(j, res, log)
	close(done)
	<-reporting
	j.cancel(nil)

	if _, ok := j.assign.GetSpec().(*cofferv1.JobAssignment_Restore); ok && res.Detail == nil {
		// Steps say where a failed or cancelled restore stopped.
		res.Detail = &cofferv1.JobResult_Restore{Restore: &cofferv1.RestoreResult{Steps: j.stepsProto()}}
	}
	res.StartedAt = timestamppb.New(j.started)
	res.FinishedAt = timestamppb.New(r.opts.Now())
	res.Progress = j.progressProto()
	cause := context.Cause(j.ctx)
	switch {
	case errors.Is(cause, errAborted), errors.Is(cause, errSuperseded):
		r.mu.Lock()
		delete(r.jobs, j.key)
		r.mu.Unlock()
		log.Info("aborted job attempt stopped", slog.Any("error", err))
		return
	case err == nil:
		res.Outcome = cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED
		log.Info("job attempt succeeded")
	case errors.Is(cause, errCancelled):
		res.Outcome = cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED
		res.Error = &cofferv1.JobError{Code: "cancelled", Message: j.cancelReason()}
		log.Info("job attempt cancelled", slog.Any("error", err))
	case errors.Is(cause, errShutdown):
		res.Outcome = cofferv1.JobOutcome_JOB_OUTCOME_FAILED
		res.Error = &cofferv1.JobError{Code: CodeAgentShutdown, Message: "agent stopped while the job ran: " + err.Error(), Retryable: true}
		log.Warn("job attempt interrupted by shutdown")
	default:
		res.Outcome = cofferv1.JobOutcome_JOB_OUTCOME_FAILED
		res.Error = toJobError(err)
		log.Warn("job attempt failed", slog.String("code", res.Error.GetCode()), slog.Any("error", err))
	}
	r.record(j.key, res)
}

// execute runs the attempt's kind and fills res's detail on success; a
// failed backup never carries a backup detail (no snapshot ID).
func (r *Runner) execute(j *job, res *cofferv1.JobResult, log *slog.Logger) error {
	switch spec := j.assign.GetSpec().(type) {
	case *cofferv1.JobAssignment_Backup:
		out, err := r.backup(j, spec.Backup, log)
		if err == nil {
			res.Detail = &cofferv1.JobResult_Backup{Backup: out}
		}
		return err
	case *cofferv1.JobAssignment_Restore:
		out, err := r.restore(j, spec.Restore, log)
		if err == nil {
			res.Detail = &cofferv1.JobResult_Restore{Restore: out}
		}
		return err
	case *cofferv1.JobAssignment_Verify:
		return Errorf(CodeUnsupported, false, "verify jobs are not supported by this agent yet")
	}
	return Errorf(CodeBadConfig, false, "assignment of kind %s carries no spec", j.assign.GetKind())
}

// source makes the driver for spec's type.
func (r *Runner) source(spec *cofferv1.SourceSpec) (Source, error) {
	f := r.opts.Sources[spec.GetType()]
	if f == nil {
		return nil, Errorf(CodeUnsupported, false, "source type %q is not supported by this agent", spec.GetType())
	}
	src, err := f(spec)
	if err != nil {
		return nil, &JobError{Code: CodeBadConfig, Err: err}
	}
	return src, nil
}

func clone[T proto.Message](m T) T { return proto.Clone(m).(T) }
