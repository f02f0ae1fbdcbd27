package api

import (
	"context"
	"fmt"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

func (s *Backups) DeleteBackup(ctx context.Context, req *cofferv1.DeleteBackupRequest) (*cofferv1.DeleteBackupResponse, error) {
	b, err := s.d.backupByID(ctx, "id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.scope(ctx, b); err != nil {
		return nil, err
	}
	switch b.Status {
	case catalog.BackupDeleted:
		return &cofferv1.DeleteBackupResponse{Backup: backupProto(b, nil)}, nil
	case catalog.BackupPending, catalog.BackupRunning:
		return nil, apierr.Precondition("id", "backup %s is %s: cancel it first (POST /api/backups/%s/cancel)", b.ID, b.Status, b.ID)
	}
	if b, err = s.d.Store.SetBackupStatus(ctx, b.ID, catalog.BackupDeleting); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "backup.delete", "backup/"+b.ID,
		map[string]any{"source": b.SourceName, "snapshot": b.SnapshotID}); err != nil {
		return nil, err
	}
	if b.SnapshotID != "" {
		loc, err := s.d.Store.GetStorageLocation(ctx, b.StorageLocationID)
		if err != nil {
			return nil, fmt.Errorf("delete backup %s: storage location: %w", b.ID, err)
		}
		if err := s.d.Repos.RemoveSnapshot(ctx, loc, b.SnapshotID); err != nil {
			// The backup stays "deleting"; repeating the DELETE retries.
			return nil, fmt.Errorf("delete backup %s: %w: %w", b.ID, apierr.ErrUnavailable, err)
		}
	}
	if b, err = s.d.Store.SetBackupStatus(ctx, b.ID, catalog.BackupDeleted); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteBackupResponse{Backup: backupProto(b, nil)}, nil
}
