package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const backupCols = `id, source_id, source_name, source_type, type, status, agent_id,
	storage_location_id, snapshot_id, parent_backup_id, schedule_id, job_id, size_bytes,
	stored_bytes, entry_count, compression, encryption, include_files, scheduled_for,
	started_at, completed_at, created_at, error, metadata, idempotency_key`

func scanBackup(r rowScanner) (catalog.Backup, error) {
	var b catalog.Backup
	err := r.Scan(&b.ID, &b.SourceID, &b.SourceName, &b.SourceType, &b.Type, &b.Status, &b.AgentID,
		&b.StorageLocationID, &b.SnapshotID, &b.ParentBackupID, &b.ScheduleID, &b.JobID, &b.SizeBytes,
		&b.StoredBytes, &b.EntryCount, &b.Compression, &b.Encryption, &b.IncludeFiles, timeCol{&b.ScheduledFor},
		timeCol{&b.StartedAt}, timeCol{&b.CompletedAt}, timeCol{&b.CreatedAt}, &b.Error, jsonCol{&b.Metadata},
		strCol{&b.IdempotencyKey})
	return b, err
}

// CreateBackup stores a pending backup and queues its job atomically.
func (s *Store) CreateBackup(ctx context.Context, b catalog.Backup) (catalog.Backup, bool, error) {
	return createOnce(ctx, s, b.IdempotencyKey, s.backupByKey, func() (catalog.Backup, error) {
		b.ID, b.JobID, b.Status, b.CreatedAt = "", newID(), catalog.BackupPending, time.Time{}
		return s.insertBackup(ctx, b, true)
	})
}

// ImportBackup stores b as given, without a job.
func (s *Store) ImportBackup(ctx context.Context, b catalog.Backup) (catalog.Backup, bool, error) {
	return createOnce(ctx, s, b.IdempotencyKey, s.backupByKey, func() (catalog.Backup, error) {
		b.JobID = ""
		return s.insertBackup(ctx, b, false)
	})
}

// insertBackup fills the backup's ID, Status and CreatedAt when empty and
// inserts it, with its job when withJob.
func (s *Store) insertBackup(ctx context.Context, b catalog.Backup, withJob bool) (catalog.Backup, error) {
	if b.CreatedAt.IsZero() {
		now, err := s.Now(ctx)
		if err != nil {
			return catalog.Backup{}, err
		}
		b.CreatedAt = now
	}
	if b.ID == "" {
		b.ID = newID()
	}
	if b.Status == "" {
		b.Status = catalog.BackupPending
	}
	meta, err := jsonArg(orEmpty(b.Metadata))
	if err != nil {
		return catalog.Backup{}, fmt.Errorf("backup metadata: %w", err)
	}
	job := catalog.Job{
		ID: b.JobID, Kind: catalog.JobBackup, SubjectID: b.ID, SourceID: b.SourceID, AgentID: b.AgentID,
		NotBefore: b.ScheduledFor, IdempotencyKey: jobKey(catalog.JobBackup, b.IdempotencyKey), CreatedAt: b.CreatedAt,
	}
	err = s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO backups (`+backupCols+`) VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.SourceID, b.SourceName, b.SourceType, b.Type, b.Status, b.AgentID,
			b.StorageLocationID, b.SnapshotID, b.ParentBackupID, b.ScheduleID, b.JobID, b.SizeBytes,
			b.StoredBytes, b.EntryCount, b.Compression, b.Encryption, b.IncludeFiles, s.t(b.ScheduledFor),
			s.t(b.StartedAt), s.t(b.CompletedAt), s.t(b.CreatedAt), b.Error, meta, nullStr(b.IdempotencyKey)); err != nil {
			return err
		}
		if !withJob {
			return nil
		}
		return s.insertJob(ctx, c, job)
	})
	if err != nil {
		return catalog.Backup{}, s.fail("create backup", err)
	}
	return s.GetBackup(ctx, b.ID)
}

func (s *Store) backupByKey(ctx context.Context, key string) (catalog.Backup, error) {
	b, err := scanBackup(s.c().row(ctx, `SELECT `+backupCols+` FROM backups WHERE idempotency_key = ?`, key))
	return b, s.fail("backup with idempotency key", err)
}

// GetBackup returns one backup.
func (s *Store) GetBackup(ctx context.Context, id string) (catalog.Backup, error) {
	b, err := scanBackup(s.c().row(ctx, `SELECT `+backupCols+` FROM backups WHERE id = ?`, id))
	return b, s.fail("backup "+id, err)
}

// ListBackups returns one page of backups, newest first.
func (s *Store) ListBackups(ctx context.Context, f catalog.BackupFilter) ([]catalog.Backup, int, error) {
	var where []string
	var args []any
	if f.Source != "" {
		where = append(where, "(source_id = ? OR source_name = ?)")
		args = append(args, f.Source, f.Source)
	}
	if f.Type != "" {
		where = append(where, "type = ?")
		args = append(args, f.Type)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if !f.CreatedFrom.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, s.t(f.CreatedFrom))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, s.t(f.CreatedBefore))
	}
	return pageOf(ctx, s, listQuery{what: "list backups", cols: backupCols, table: "backups", where: whereClause(where), order: "created_at DESC, id DESC", args: args, page: f.Page}, scanBackup)
}

// SetBackupStatus sets a backup's status.
func (s *Store) SetBackupStatus(ctx context.Context, id, status string) (catalog.Backup, error) {
	n, err := s.c().affected(ctx, `UPDATE backups SET status = ? WHERE id = ?`, status, id)
	if err == nil {
		err = missing(n, "backup "+id)
	}
	if err != nil {
		return catalog.Backup{}, s.fail("set backup status", err)
	}
	return s.GetBackup(ctx, id)
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	w := " WHERE " + conds[0]
	for _, c := range conds[1:] {
		w += " AND " + c
	}
	return w
}

// orEmpty keeps a nil map from encoding as JSON null.
func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// jobKey derives a job's idempotency key from its subject's.
func jobKey(kind catalog.JobKind, key string) string {
	if key == "" {
		return ""
	}
	return string(kind) + ":" + key
}
