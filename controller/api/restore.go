package api

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

func (s *Recovery) Restore(ctx context.Context, req *cofferv1.RestoreRequest) (*cofferv1.RestoreResponse, error) {
	if req.GetBackupId() == "" {
		if req.GetPointInTime() != nil && req.GetSource() != "" {
			return nil, apierr.Invalid("backupId", "choosing the base backup for a point in time is not supported yet: name the backup")
		}
		return nil, apierr.Invalid("backupId", "is required")
	}
	b, err := s.d.backupByID(ctx, "backupId", req.GetBackupId())
	if err != nil {
		return nil, err
	}
	src, err := s.d.Store.GetSource(ctx, b.SourceID)
	if errors.Is(err, catalog.ErrNotFound) {
		src = catalog.Source{ID: b.SourceID, Name: b.SourceName, Type: b.SourceType, AgentID: b.AgentID}
	} else if err != nil {
		return nil, err
	}
	if err := inScope(ctx, src); err != nil {
		return nil, err
	}
	if b.Status != catalog.BackupCompleted || b.SnapshotID == "" {
		return nil, apierr.Precondition("backupId", "backup %s is %s; only completed backups can be restored", b.ID, b.Status)
	}
	agentID, err := s.targetAgent(ctx, req.GetTargetAgentId(), src)
	if err != nil {
		return nil, err
	}
	r := catalog.RecoveryJob{
		BackupID: b.ID, SourceID: b.SourceID, AgentID: agentID,
		TargetDatabase: req.GetTargetDatabase(), TargetPath: req.GetTargetPath(),
		PointInTime: protoconv.Time(req.GetPointInTime()), ValidateOnly: req.GetValidateOnly(),
		OverwriteExisting: req.GetOverwriteExisting(), IdempotencyKey: idempotencyKey(ctx, req.GetIdempotencyKey()),
	}
	if err := s.checkTarget(ctx, b, r); err != nil {
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
		}); err != nil {
			return nil, err
		}
	}
	return &cofferv1.RestoreResponse{Job: recoveryProto(r, nil, s.d.Now())}, nil
}

func (s *Recovery) targetAgent(ctx context.Context, id string, src catalog.Source) (string, error) {
	field := "targetAgentId"
	if id == "" {
		id, field = src.AgentID, "backupId"
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

// checkTarget validates the restore target. For files it refuses, without
// overwriteExisting, a target that overlaps a path the agent backs up or a
// target an earlier restore on that agent wrote to: what the controller
// knows is not empty. The agent refuses other non-empty targets itself.
func (s *Recovery) checkTarget(ctx context.Context, b catalog.Backup, r catalog.RecoveryJob) error {
	if b.SourceType != catalog.SourceFiles {
		if r.TargetPath != "" {
			return apierr.Invalid("targetPath", "is for files backups; a %s backup restores into targetDatabase", b.SourceType)
		}
		if r.TargetDatabase == "" {
			return apierr.Invalid("targetDatabase", "is required for a %s backup", b.SourceType)
		}
		return nil
	}
	switch {
	case r.TargetDatabase != "":
		return apierr.Invalid("targetDatabase", "is for database backups; a files backup restores into targetPath")
	case r.TargetPath == "":
		return apierr.Invalid("targetPath", "is required for a files backup")
	case !filepath.IsAbs(r.TargetPath):
		return apierr.Invalid("targetPath", "must be an absolute path on the agent's host, got %q", r.TargetPath)
	case !r.PointInTime.IsZero():
		return apierr.Invalid("pointInTime", "files backups restore whole snapshots; point in time needs a database source")
	}
	if r.OverwriteExisting || r.ValidateOnly {
		return nil
	}
	target := filepath.Clean(r.TargetPath)
	sources, _, err := s.d.Store.ListSources(ctx, catalog.SourceFilter{AgentID: r.AgentID, Type: catalog.SourceFiles, Page: catalog.Page{Limit: catalog.MaxLimit}})
	if err != nil {
		return err
	}
	for _, src := range sources {
		for _, p := range filesPaths(src.Config) {
			if overlaps(target, p) {
				return apierr.Precondition("overwriteExisting", "targetPath %s overlaps %s, which source %q backs up: restoring there would overwrite live data; set overwriteExisting to allow it", target, p, src.Name)
			}
		}
	}
	prev, _, err := s.d.Store.ListRecoveryJobs(ctx, catalog.RecoveryFilter{Status: catalog.RecoveryCompleted, Page: catalog.Page{Limit: catalog.MaxLimit}})
	if err != nil {
		return err
	}
	for _, p := range prev {
		if p.AgentID == r.AgentID && !p.ValidateOnly && p.TargetPath != "" && overlaps(target, filepath.Clean(p.TargetPath)) {
			return apierr.Precondition("overwriteExisting", "targetPath %s was written by restore %s and is not empty; set overwriteExisting to overwrite it", target, p.ID)
		}
	}
	return nil
}

// overlaps reports whether one path contains the other.
func overlaps(a, b string) bool {
	within := func(x, y string) bool { return x == y || strings.HasPrefix(x, strings.TrimSuffix(y, "/")+"/") }
	return within(a, b) || within(b, a)
}

// filesPaths returns a files source's configured paths.
func filesPaths(cfg map[string]any) []string {
	raw, _ := cfg["paths"].([]any)
	var out []string
	for _, v := range raw {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, filepath.Clean(s))
		}
	}
	return out
}
