package sqlstore

import (
	"context"
	"fmt"

	"github.com/cofferhq/coffer/internal/catalog"
)

const verificationCols = `id, backup_id, kind, status, agent_id, job_id, started_at, completed_at,
	created_at, error, recovery_time_seconds, details`

func scanVerification(r rowScanner) (catalog.BackupVerification, error) {
	var v catalog.BackupVerification
	err := r.Scan(&v.ID, &v.BackupID, &v.Kind, &v.Status, &v.AgentID, &v.JobID, timeCol{&v.StartedAt},
		timeCol{&v.CompletedAt}, timeCol{&v.CreatedAt}, &v.Error, &v.RecoveryTimeSeconds, jsonCol{&v.Details})
	return v, err
}

// CreateVerification stores a pending verification and queues its job.
func (s *Store) CreateVerification(ctx context.Context, v catalog.BackupVerification) (catalog.BackupVerification, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.BackupVerification{}, err
	}
	v.ID, v.JobID, v.Status, v.CreatedAt = newID(), newID(), catalog.VerificationPending, now
	details, err := jsonArg(orEmpty(v.Details))
	if err != nil {
		return catalog.BackupVerification{}, fmt.Errorf("verification details: %w", err)
	}
	err = s.inTx(ctx, func(c conn) error {
		var one int
		if err := c.row(ctx, `SELECT 1 FROM backups WHERE id = ?`, v.BackupID).Scan(&one); err != nil {
			return s.fail("backup "+v.BackupID, err)
		}
		if _, err := c.exec(ctx, `INSERT INTO backup_verifications (`+verificationCols+`) VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.BackupID, v.Kind, v.Status, v.AgentID, v.JobID, nil, nil, s.t(now), "", 0.0, details); err != nil {
			return err
		}
		return s.insertJob(ctx, c, catalog.Job{ID: v.JobID, Kind: catalog.JobVerify, SubjectID: v.ID,
			AgentID: v.AgentID, CreatedAt: now})
	})
	if err != nil {
		return catalog.BackupVerification{}, s.fail("create verification of backup "+v.BackupID, err)
	}
	return s.GetVerification(ctx, v.ID)
}

// GetVerification returns one verification.
func (s *Store) GetVerification(ctx context.Context, id string) (catalog.BackupVerification, error) {
	v, err := scanVerification(s.c().row(ctx, `SELECT `+verificationCols+` FROM backup_verifications WHERE id = ?`, id))
	return v, s.fail("verification "+id, err)
}

// ListVerifications returns a backup's verifications, newest first.
func (s *Store) ListVerifications(ctx context.Context, backupID string) ([]catalog.BackupVerification, error) {
	return queryAll(ctx, s, s.c(), "list verifications", `SELECT `+verificationCols+` FROM backup_verifications
		WHERE backup_id = ? ORDER BY created_at DESC, id DESC`, []any{backupID}, scanVerification)
}
