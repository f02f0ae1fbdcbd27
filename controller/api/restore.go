package api

import (
	"context"
	"errors"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

func (s *Recovery) Restore(ctx context.Context, req *cofferv1.RestoreRequest) (*cofferv1.RestoreResponse, error) {
	// The catalog and PostgreSQL's recovery_target_time keep microseconds.
	pit := protoconv.Time(req.GetPointInTime()).Truncate(time.Microsecond)
	if err := checkRecoveryTarget(req.GetRecoveryTarget(), !pit.IsZero()); err != nil {
		return nil, err
	}
	b, src, err := s.restoreBase(ctx, req)
	if err != nil {
		return nil, err
	}
	if b.Status != catalog.BackupCompleted || b.SnapshotID == "" {
		return nil, apierr.Precondition("backupId", "backup %s is %s; only completed backups can be restored", b.ID, b.Status)
	}
	ownerField := "backupId"
	if req.GetBackupId() == "" {
		ownerField = "source"
	}
	agentID, err := s.targetAgent(ctx, req.GetTargetAgentId(), ownerField, src)
	if err != nil {
		return nil, err
	}
	r := catalog.RecoveryJob{
		BackupID: b.ID, SourceID: b.SourceID, AgentID: agentID,
		TargetDatabase: req.GetTargetDatabase(), TargetPath: req.GetTargetPath(),
		PointInTime: pit, RecoveryTarget: req.GetRecoveryTarget(), ValidateOnly: req.GetValidateOnly(),
		OverwriteExisting: req.GetOverwriteExisting(), IdempotencyKey: idempotencyKey(ctx, req.GetIdempotencyKey()),
	}
	if r.RecoveryTarget, err = s.checkTarget(ctx, b, src, r); err != nil {
		return nil, err
	}
	r, created, err := s.d.Store.CreateRecoveryJob(ctx, r)
	if err != nil {
		return nil, err
	}
	if created {
		s.d.Dispatcher.JobQueued(r.AgentID)
		if err := s.d.record(ctx, principal(ctx).Actor(), "restore.create", "recovery/"+r.ID, map[string]any{
			"backup": b.ID, "source": b.SourceName, "targetPath": r.TargetPath, "targetDatabase": r.TargetDatabase,
			"agent": r.AgentID, "validateOnly": r.ValidateOnly, "overwriteExisting": r.OverwriteExisting,
			"recoveryTarget": r.RecoveryTarget, "pointInTime": timeText(r.PointInTime), "basePicked": req.GetBackupId() == "",
		}); err != nil {
			return nil, err
		}
	}
	return &cofferv1.RestoreResponse{Job: recoveryProto(r, nil, s.d.Now())}, nil
}

// restoreBase returns the backup to restore and its source: the named
// backup, or for a point in time of a named source the base backup the
// controller picks.
func (s *Recovery) restoreBase(ctx context.Context, req *cofferv1.RestoreRequest) (catalog.Backup, catalog.Source, error) {
	if req.GetBackupId() == "" {
		switch {
		case req.GetPointInTime() == nil:
			return catalog.Backup{}, catalog.Source{}, apierr.Invalid("backupId", "is required (or give source and pointInTime to let the controller pick the base backup)")
		case req.GetSource() == "":
			return catalog.Backup{}, catalog.Source{}, apierr.Invalid("source", "is required with pointInTime when backupId is empty: it names the source whose base backup is picked")
		}
		src, err := s.d.findSource(ctx, "source", req.GetSource())
		if err != nil {
			return catalog.Backup{}, src, err
		}
		if err := inScope(ctx, src); err != nil {
			return catalog.Backup{}, src, err
		}
		b, err := s.pickBase(ctx, src, protoconv.Time(req.GetPointInTime()).Truncate(time.Microsecond))
		return b, src, err
	}
	b, err := s.d.backupByID(ctx, "backupId", req.GetBackupId())
	if err != nil {
		return b, catalog.Source{}, err
	}
	if ref := req.GetSource(); ref != "" && ref != b.SourceID && ref != b.SourceName {
		return b, catalog.Source{}, apierr.Invalid("source", "backup %s is of source %q, not %q: leave source empty or name the backup's own", b.ID, b.SourceName, ref)
	}
	src, err := s.d.Store.GetSource(ctx, b.SourceID)
	if errors.Is(err, catalog.ErrNotFound) {
		src = catalog.Source{ID: b.SourceID, Name: b.SourceName, Type: b.SourceType, AgentID: b.AgentID}
	} else if err != nil {
		return b, src, err
	}
	return b, src, inScope(ctx, src)
}

// targetAgent resolves the agent to restore on: the named one, else the
// one owning src (named by ownerField in errors).
func (s *Recovery) targetAgent(ctx context.Context, id, ownerField string, src catalog.Source) (string, error) {
	field := "targetAgentId"
	if id == "" {
		id, field = src.AgentID, ownerField
	}
	a, err := s.d.Store.GetAgent(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return "", apierr.Invalid(field, "unknown agent %q", id)
	}
	if err != nil {
		return "", err
	}
	if a.Revoked() {
		return "", apierr.Precondition(field, "agent %q is revoked", a.Name)
	}
	return a.ID, nil
}
