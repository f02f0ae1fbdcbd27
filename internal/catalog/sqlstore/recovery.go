package sqlstore

import (
	"context"

	"github.com/cofferhq/coffer/internal/catalog"
)

const recoveryCols = `id, backup_id, source_id, agent_id, status, target_database, target_path,
	point_in_time, validate_only, overwrite_existing, job_id, created_at, started_at, completed_at,
	recovered_to, error, idempotency_key, recovery_target`

func scanRecovery(r rowScanner) (catalog.RecoveryJob, error) {
	var j catalog.RecoveryJob
	err := r.Scan(&j.ID, &j.BackupID, &j.SourceID, &j.AgentID, &j.Status, &j.TargetDatabase, &j.TargetPath,
		timeCol{&j.PointInTime}, &j.ValidateOnly, &j.OverwriteExisting, &j.JobID, timeCol{&j.CreatedAt},
		timeCol{&j.StartedAt}, timeCol{&j.CompletedAt}, timeCol{&j.RecoveredTo}, &j.Error,
		strCol{&j.IdempotencyKey}, &j.RecoveryTarget)
	return j, err
}

// CreateRecoveryJob stores a pending restore and queues its job atomically.
func (s *Store) CreateRecoveryJob(ctx context.Context, r catalog.RecoveryJob) (catalog.RecoveryJob, bool, error) {
	return createOnce(ctx, s, r.IdempotencyKey, s.recoveryByKey, func() (catalog.RecoveryJob, error) {
		return s.insertRecovery(ctx, r)
	})
}

func (s *Store) insertRecovery(ctx context.Context, r catalog.RecoveryJob) (catalog.RecoveryJob, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.RecoveryJob{}, err
	}
	r.ID, r.JobID, r.Status, r.CreatedAt = newID(), newID(), catalog.RecoveryPending, now
	job := catalog.Job{
		ID: r.JobID, Kind: catalog.JobRestore, SubjectID: r.ID, SourceID: r.SourceID, AgentID: r.AgentID,
		IdempotencyKey: jobKey(catalog.JobRestore, r.IdempotencyKey), CreatedAt: now,
	}
	err = s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `INSERT INTO recovery_jobs (`+recoveryCols+`) VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.BackupID, r.SourceID, r.AgentID, r.Status, r.TargetDatabase, r.TargetPath,
			s.t(r.PointInTime), r.ValidateOnly, r.OverwriteExisting, r.JobID, s.t(r.CreatedAt),
			nil, nil, nil, "", nullStr(r.IdempotencyKey), r.RecoveryTarget); err != nil {
			return err
		}
		return s.insertJob(ctx, c, job)
	})
	if err != nil {
		return catalog.RecoveryJob{}, s.fail("create recovery job", err)
	}
	return s.GetRecoveryJob(ctx, r.ID)
}

func (s *Store) recoveryByKey(ctx context.Context, key string) (catalog.RecoveryJob, error) {
	j, err := scanRecovery(s.c().row(ctx, `SELECT `+recoveryCols+` FROM recovery_jobs WHERE idempotency_key = ?`, key))
	return j, s.fail("recovery job with idempotency key", err)
}

// GetRecoveryJob returns one restore.
func (s *Store) GetRecoveryJob(ctx context.Context, id string) (catalog.RecoveryJob, error) {
	j, err := scanRecovery(s.c().row(ctx, `SELECT `+recoveryCols+` FROM recovery_jobs WHERE id = ?`, id))
	return j, s.fail("recovery job "+id, err)
}

// ListRecoveryJobs returns one page of restores, newest first.
func (s *Store) ListRecoveryJobs(ctx context.Context, f catalog.RecoveryFilter) ([]catalog.RecoveryJob, int, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.BackupID != "" {
		where = append(where, "backup_id = ?")
		args = append(args, f.BackupID)
	}
	return pageOf(ctx, s, listQuery{what: "list recovery jobs", cols: recoveryCols, table: "recovery_jobs", where: whereClause(where), order: "created_at DESC, id DESC", args: args, page: f.Page}, scanRecovery)
}
