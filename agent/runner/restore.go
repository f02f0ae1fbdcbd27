package runner

import (
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
)

// Restore plan steps reported in JobProgressReport.steps and the result.
const (
	StepOpen     = "open repository"
	StepRestore  = "restore"
	StepValidate = "validate"
)

func (r *Runner) restore(j *job, spec *cofferv1.RestoreSpec, log *slog.Logger) (*cofferv1.RestoreResult, error) {
	ctx := j.ctx
	now := r.opts.Now
	srcSpec := spec.GetSource()
	if srcSpec == nil {
		srcSpec = &cofferv1.SourceSpec{Type: "files"}
	}
	src, err := r.source(srcSpec)
	if err != nil {
		return nil, err
	}
	main := StepRestore
	if spec.GetValidateOnly() {
		main = StepValidate
	}
	j.step(now(), StepOpen, "running", "")
	j.step(now(), main, "pending", "")
	id, err := repo.ParseID(spec.GetSnapshotId())
	if err != nil {
		j.step(now(), StepOpen, "failed", err.Error())
		return nil, Errorf(CodeBadConfig, false, "snapshot ID %q: %v", spec.GetSnapshotId(), err)
	}
	rp, err := r.openRepository(ctx, spec.GetRepository(), false)
	if err != nil {
		j.step(now(), StepOpen, "failed", err.Error())
		return nil, err
	}
	defer rp.Backend().Close()
	sn, err := rp.LoadSnapshot(ctx, id)
	if storage.IsNotExist(err) {
		err = &JobError{Code: CodeSnapshotMissing, Err: fmt.Errorf("snapshot %s not found in %s: %w", id, rp.Backend().Location(), repo.ErrSnapshotNotFound)}
	}
	if err != nil {
		j.step(now(), StepOpen, "failed", err.Error())
		return nil, err
	}
	j.step(now(), StepOpen, "completed", "")
	j.step(now(), main, "running", "")

	var pit *time.Time
	if t := spec.GetPointInTime(); t != nil && !t.AsTime().IsZero() && t.GetSeconds() != 0 {
		v := t.AsTime()
		pit = &v
	}
	out, err := src.Restore(ctx, &RestoreJob{
		Repo:           rp,
		SnapshotID:     id,
		Snapshot:       sn,
		TargetPath:     spec.GetTargetPath(),
		TargetDatabase: spec.GetTargetDatabase(),
		PointInTime:    pit,
		RecoveryTarget: spec.GetRecoveryTarget(),
		Overwrite:      spec.GetOverwriteExisting(),
		ValidateOnly:   spec.GetValidateOnly(),
		Progress:       j.setProgress,
		Step:           func(name, status, msg string) { j.step(now(), name, status, msg) },
		Now:            now,
		Log:            log,
	})
	if err != nil {
		status := "failed"
		if ctx.Err() != nil {
			status = "skipped"
		}
		j.step(now(), main, status, err.Error())
		return nil, err
	}
	j.step(now(), main, "completed", "")
	res := &cofferv1.RestoreResult{Steps: j.stepsProto()}
	if out != nil && out.RecoveredTo != nil {
		res.RecoveredTo = timestamppb.New(*out.RecoveredTo)
	}
	return res, nil
}
