package api

import (
	"context"
	"errors"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Backups implements BackupService.
type Backups struct {
	cofferv1.UnimplementedBackupServiceServer
	d *Deps
}

var (
	backupTypes    = []string{catalog.BackupFull, catalog.BackupIncremental, catalog.BackupDifferential}
	backupStatuses = []string{catalog.BackupPending, catalog.BackupRunning, catalog.BackupCompleted, catalog.BackupFailed,
		catalog.BackupCancelled, catalog.BackupDeleting, catalog.BackupDeleted}
)

func (s *Backups) ListBackups(ctx context.Context, req *cofferv1.ListBackupsRequest) (*cofferv1.ListBackupsResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	f := catalog.BackupFilter{Source: req.GetSource(), Page: p,
		CreatedFrom: protoconv.Time(req.GetStartDate()), CreatedBefore: protoconv.Time(req.GetEndDate())}
	if req.GetType() != "" {
		if f.Type, err = oneOf("type", req.GetType(), "", backupTypes...); err != nil {
			return nil, err
		}
	}
	if req.GetStatus() != "" {
		if f.Status, err = oneOf("status", req.GetStatus(), "", backupStatuses...); err != nil {
			return nil, err
		}
	}
	if !f.CreatedFrom.IsZero() && !f.CreatedBefore.IsZero() && !f.CreatedFrom.Before(f.CreatedBefore) {
		return nil, apierr.Invalid("endDate", "must be after startDate")
	}
	list, total, err := s.d.Store.ListBackups(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListBackupsResponse{Backups: make([]*cofferv1.Backup, 0, len(list)), Pagination: pagination(p, total)}
	for _, b := range list {
		var job *catalog.Job
		if b.Status == catalog.BackupPending || b.Status == catalog.BackupRunning {
			if job, err = s.d.liveJob(ctx, b.JobID, false); err != nil {
				return nil, err
			}
		}
		out.Backups = append(out.Backups, backupProto(b, job))
	}
	return out, nil
}

func (s *Backups) GetBackup(ctx context.Context, req *cofferv1.GetBackupRequest) (*cofferv1.GetBackupResponse, error) {
	b, err := s.d.backupByID(ctx, "id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.scope(ctx, b); err != nil {
		return nil, err
	}
	job, err := s.d.liveJob(ctx, b.JobID, true)
	if err != nil {
		return nil, err
	}
	out := backupProto(b, job)
	if b.ParentBackupID != "" {
		parent, err := s.d.Store.GetBackup(ctx, b.ParentBackupID)
		switch {
		case err == nil:
			out.ParentBackup = backupRef(parent)
		case !errors.Is(err, catalog.ErrNotFound):
			return nil, err
		}
	}
	return &cofferv1.GetBackupResponse{Backup: out}, nil
}

// scope refuses a scoped token access to another source's backup.
func (s *Backups) scope(ctx context.Context, b catalog.Backup) error {
	return inScope(ctx, catalog.Source{ID: b.SourceID, Name: b.SourceName})
}

func (s *Backups) CancelBackup(ctx context.Context, req *cofferv1.CancelBackupRequest) (*cofferv1.CancelBackupResponse, error) {
	b, err := s.d.backupByID(ctx, "id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.scope(ctx, b); err != nil {
		return nil, err
	}
	reason := req.GetReason()
	if reason == "" {
		reason = "cancelled by " + principal(ctx).Name
	}
	if err := s.d.cancelJob(ctx, b.JobID, "backup", b.ID, reason); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "backup.cancel", "backup/"+b.ID, map[string]any{"reason": reason}); err != nil {
		return nil, err
	}
	b, err = s.d.Store.GetBackup(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	return &cofferv1.CancelBackupResponse{Backup: backupProto(b, nil)}, nil
}

// cancelJob asks for a job's cancellation and tells the dispatcher.
func (d *Deps) cancelJob(ctx context.Context, jobID, kind, id, reason string) error {
	now, err := d.Store.Now(ctx)
	if err != nil {
		return err
	}
	_, err = d.Store.RequestCancel(ctx, jobID, now, reason)
	if errors.Is(err, catalog.ErrInvalidState) {
		return apierr.Precondition("id", "%s %s has already finished", kind, id)
	}
	if err != nil {
		return err
	}
	d.Dispatcher.CancelRequested(jobID)
	return nil
}

func (s *Backups) VerifyBackup(ctx context.Context, req *cofferv1.VerifyBackupRequest) (*cofferv1.VerifyBackupResponse, error) {
	b, err := s.d.backupByID(ctx, "id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.scope(ctx, b); err != nil {
		return nil, err
	}
	kind, err := oneOf("kind", req.GetKind(), catalog.VerifyDeep, catalog.VerifyStructural, catalog.VerifyDeep, catalog.VerifyRestore)
	if err != nil {
		return nil, err
	}
	if b.Status != catalog.BackupCompleted {
		return nil, apierr.Precondition("id", "backup %s is %s; only completed backups can be verified", b.ID, b.Status)
	}
	v, err := s.d.Store.CreateVerification(ctx, catalog.BackupVerification{BackupID: b.ID, Kind: kind, AgentID: b.AgentID})
	if err != nil {
		return nil, err
	}
	s.d.Dispatcher.JobQueued(b.AgentID)
	if err := s.d.record(ctx, principal(ctx).Actor(), "backup.verify", "backup/"+b.ID, map[string]any{"kind": kind, "verification": v.ID}); err != nil {
		return nil, err
	}
	return &cofferv1.VerifyBackupResponse{Verification: &cofferv1.BackupVerification{
		Id: v.ID, BackupId: v.BackupID, Kind: v.Kind, Status: v.Status,
		StartedAt: ts(v.StartedAt), CompletedAt: ts(v.CompletedAt), Error: v.Error,
	}}, nil
}
