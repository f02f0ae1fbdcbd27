package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// setSubject mirrors a job's new state onto its subject row (backup,
// recovery job or verification) in the same transaction, recording r's
// details when the job ended.
func (s *Store) setSubject(ctx context.Context, c conn, j catalog.Job, state catalog.JobState, now time.Time, r *catalog.AttemptResult) error {
	table, status := subjectStatus(j.Kind, state, r)
	if table == "" {
		return fmt.Errorf("job %s: unknown kind %q", j.ID, j.Kind)
	}
	what := fmt.Sprintf("update %s %s", table, j.SubjectID)
	switch {
	case state == catalog.JobRunning:
		_, err := c.exec(ctx, `UPDATE `+table+` SET status = ?, started_at = COALESCE(started_at, ?) WHERE id = ?`,
			status, s.t(now), j.SubjectID)
		return s.fail(what, err)
	case !state.Terminal():
		_, err := c.exec(ctx, `UPDATE `+table+` SET status = ? WHERE id = ?`, status, j.SubjectID)
		return s.fail(what, err)
	}
	msg := ""
	if r != nil {
		msg = r.Error
	}
	if _, err := c.exec(ctx, `UPDATE `+table+` SET status = ?, completed_at = ?, error = ? WHERE id = ?`,
		status, s.t(now), msg, j.SubjectID); err != nil {
		return s.fail(what, err)
	}
	if r == nil || state != catalog.JobSucceeded {
		return nil
	}
	var err error
	switch {
	case r.Backup != nil && j.Kind == catalog.JobBackup:
		b := r.Backup
		var meta string
		if meta, err = jsonArg(orEmpty(b.Metadata)); err != nil {
			return fmt.Errorf("%s: metadata: %w", what, err)
		}
		_, err = c.exec(ctx, `UPDATE backups SET snapshot_id = ?, size_bytes = ?, stored_bytes = ?,
			entry_count = ?, metadata = ? WHERE id = ?`,
			b.SnapshotID, b.SizeBytes, b.StoredBytes, b.EntryCount, meta, j.SubjectID)
	case r.Restore != nil && j.Kind == catalog.JobRestore:
		_, err = c.exec(ctx, `UPDATE recovery_jobs SET recovered_to = ? WHERE id = ?`,
			s.t(r.Restore.RecoveredTo), j.SubjectID)
	case r.Verify != nil && j.Kind == catalog.JobVerify:
		var details string
		if details, err = jsonArg(orEmpty(r.Verify.Details)); err != nil {
			return fmt.Errorf("%s: details: %w", what, err)
		}
		_, err = c.exec(ctx, `UPDATE backup_verifications SET recovery_time_seconds = ?, details = ? WHERE id = ?`,
			r.Verify.RecoveryTimeSeconds, details, j.SubjectID)
	}
	return s.fail(what, err)
}

// subjectStatus maps a job state to its subject's table and status word.
func subjectStatus(kind catalog.JobKind, state catalog.JobState, r *catalog.AttemptResult) (table, status string) {
	switch kind {
	case catalog.JobBackup:
		table = "backups"
	case catalog.JobRestore:
		table = "recovery_jobs"
	case catalog.JobVerify:
		table = "backup_verifications"
		switch state {
		case catalog.JobQueued:
			return table, catalog.VerificationPending
		case catalog.JobRunning:
			return table, catalog.VerificationRunning
		case catalog.JobSucceeded:
			if r != nil && r.Verify != nil && r.Verify.Passed {
				return table, catalog.VerificationPassed
			}
		}
		return table, catalog.VerificationFailed
	default:
		return "", ""
	}
	switch state {
	case catalog.JobQueued:
		return table, catalog.BackupPending
	case catalog.JobRunning:
		return table, catalog.BackupRunning
	case catalog.JobSucceeded:
		return table, catalog.BackupCompleted
	case catalog.JobCancelled:
		return table, catalog.BackupCancelled
	}
	return table, catalog.BackupFailed
}
