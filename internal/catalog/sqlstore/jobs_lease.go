package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// ClaimJob moves the agent's oldest claimable queued job to running with a
// new attempt and epoch. PostgreSQL skips rows other claimers hold (FOR
// UPDATE SKIP LOCKED); SQLite transactions are serialised (BEGIN IMMEDIATE).
func (s *Store) ClaimJob(ctx context.Context, agentID string, now time.Time, ttl time.Duration) (catalog.Job, error) {
	var job catalog.Job
	lease := now.Add(ttl)
	err := s.inTx(ctx, func(c conn) error {
		var id string
		err := c.row(ctx, `SELECT id FROM jobs WHERE state = 'queued' AND agent_id = ?
			AND (not_before IS NULL OR not_before <= ?) ORDER BY created_at, id LIMIT 1`+s.d.SkipLocked,
			agentID, s.t(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("agent %s: %w", agentID, catalog.ErrNoJob)
		}
		if err != nil {
			return s.fail("claim job", err)
		}
		if _, err := c.exec(ctx, `UPDATE jobs SET state = 'running', attempt = attempt + 1, epoch = epoch + 1,
			lease_expires_at = ?, started_at = COALESCE(started_at, ?), phase = '', bytes_done = 0,
			bytes_total = 0, entries_done = 0, entries_total = 0, bytes_written = 0,
			rate_bytes_per_second = 0, eta_seconds = 0, percent = 0, progress_seq = 0, steps = '[]',
			progress_reported_at = ?, progress_moved_at = ? WHERE id = ?`,
			s.t(lease), s.t(now), s.t(now), s.t(now), id); err != nil {
			return s.fail("claim job "+id, err)
		}
		if job, err = s.lockJob(ctx, c, id); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO job_attempts (job_id, attempt, epoch, agent_id, state,
			started_at, lease_expires_at) VALUES (?, ?, ?, ?, 'running', ?, ?)`,
			job.ID, job.Attempt, job.Epoch, agentID, s.t(now), s.t(lease)); err != nil {
			return s.fail("record attempt of job "+id, err)
		}
		return s.setSubject(ctx, c, job, catalog.JobRunning, now, nil)
	})
	return job, err
}

// RenewLease extends the current attempt's lease.
func (s *Store) RenewLease(ctx context.Context, ref catalog.AttemptRef, now time.Time, ttl time.Duration) (catalog.Job, error) {
	return s.renew(ctx, ref, now, ttl, nil)
}

// ReportProgress stores a newer progress report and renews the lease.
func (s *Store) ReportProgress(ctx context.Context, ref catalog.AttemptRef, now time.Time, ttl time.Duration, p catalog.Progress) (catalog.Job, error) {
	return s.renew(ctx, ref, now, ttl, &p)
}

func (s *Store) renew(ctx context.Context, ref catalog.AttemptRef, now time.Time, ttl time.Duration, p *catalog.Progress) (catalog.Job, error) {
	var job catalog.Job
	lease := now.Add(ttl)
	err := s.inTx(ctx, func(c conn) error {
		j, err := s.lockJob(ctx, c, ref.JobID)
		if err != nil {
			return err
		}
		if err := current(j, ref); err != nil {
			return err
		}
		if j.LeaseExpiresAt.Before(now) {
			return fmt.Errorf("job %s attempt %d: lease ended %s: %w", ref.JobID, ref.Attempt,
				j.LeaseExpiresAt.Format(time.RFC3339Nano), catalog.ErrLeaseExpired)
		}
		if _, err := c.exec(ctx, `UPDATE jobs SET lease_expires_at = ? WHERE id = ?`, s.t(lease), j.ID); err != nil {
			return s.fail("renew lease", err)
		}
		if _, err := c.exec(ctx, `UPDATE job_attempts SET lease_expires_at = ? WHERE job_id = ? AND attempt = ?`,
			s.t(lease), j.ID, j.Attempt); err != nil {
			return s.fail("renew lease", err)
		}
		if p != nil && p.Sequence > j.Progress.Sequence {
			if err := s.storeProgress(ctx, c, j.ID, now, *p); err != nil {
				return err
			}
		}
		job, err = s.lockJob(ctx, c, ref.JobID)
		return err
	})
	return job, err
}

// storeProgress writes p; MovedAt advances only when bytes moved.
func (s *Store) storeProgress(ctx context.Context, c conn, jobID string, now time.Time, p catalog.Progress) error {
	_, err := c.exec(ctx, `UPDATE jobs SET
		progress_moved_at = CASE WHEN ? > bytes_done OR ? > bytes_written THEN ? ELSE progress_moved_at END,
		phase = ?, bytes_done = ?, bytes_total = ?, entries_done = ?, entries_total = ?, bytes_written = ?,
		rate_bytes_per_second = ?, eta_seconds = ?, percent = ?, progress_seq = ?, steps = ?,
		progress_reported_at = ? WHERE id = ?`,
		p.BytesDone, p.BytesWritten, s.t(now),
		p.Phase, p.BytesDone, p.BytesTotal, p.EntriesDone, p.EntriesTotal, p.BytesWritten,
		p.RateBytesPerSecond, p.ETASeconds, p.Percent, p.Sequence, mustJSON(orNoSteps(p.Steps)),
		s.t(now), jobID)
	return s.fail("store progress of job "+jobID, err)
}

func orNoSteps(st []catalog.Step) []catalog.Step {
	if st == nil {
		return []catalog.Step{}
	}
	return st
}

// FinishAttempt ends the current attempt with r.
func (s *Store) FinishAttempt(ctx context.Context, ref catalog.AttemptRef, now time.Time, r catalog.AttemptResult) (catalog.Job, error) {
	var attemptState catalog.AttemptState
	switch r.Outcome {
	case catalog.OutcomeSucceeded:
		attemptState = catalog.AttemptSucceeded
	case catalog.OutcomeFailed:
		attemptState = catalog.AttemptFailed
	case catalog.OutcomeCancelled:
		attemptState = catalog.AttemptCancelled
	default:
		return catalog.Job{}, fmt.Errorf("finish job %s: unknown outcome %q", ref.JobID, r.Outcome)
	}
	var job catalog.Job
	err := s.inTx(ctx, func(c conn) error {
		j, err := s.lockJob(ctx, c, ref.JobID)
		if err != nil {
			return err
		}
		if err := current(j, ref); err != nil {
			if s.repeatedResult(ctx, c, j, ref, attemptState) {
				job = j
				return nil
			}
			return err
		}
		next := catalog.JobState(attemptState)
		if r.Outcome == catalog.OutcomeFailed && r.Retryable && j.Attempt < j.MaxAttempts && !j.CancelRequested {
			next = catalog.JobQueued
		}
		if err := s.endAttempt(ctx, c, j, attemptState, next, now, r.Error); err != nil {
			return err
		}
		if r.Progress != nil {
			if err := s.storeProgress(ctx, c, j.ID, now, *r.Progress); err != nil {
				return err
			}
		}
		if err := s.setSubject(ctx, c, j, next, now, &r); err != nil {
			return err
		}
		job, err = s.lockJob(ctx, c, j.ID)
		return err
	})
	return job, err
}

// repeatedResult reports whether ref's attempt already ended in state: a
// redelivered result, answered idempotently.
func (s *Store) repeatedResult(ctx context.Context, c conn, j catalog.Job, ref catalog.AttemptRef, state catalog.AttemptState) bool {
	var got string
	err := c.row(ctx, `SELECT state FROM job_attempts WHERE job_id = ? AND attempt = ? AND epoch = ? AND agent_id = ?`,
		ref.JobID, ref.Attempt, ref.Epoch, ref.AgentID).Scan(&got)
	return err == nil && catalog.AttemptState(got) == state
}

// endAttempt closes the attempt row and moves the job to next.
func (s *Store) endAttempt(ctx context.Context, c conn, j catalog.Job, state catalog.AttemptState, next catalog.JobState, now time.Time, msg string) error {
	if _, err := c.exec(ctx, `UPDATE job_attempts SET state = ?, finished_at = ?, error = ?
		WHERE job_id = ? AND attempt = ?`, string(state), s.t(now), msg, j.ID, j.Attempt); err != nil {
		return s.fail("end attempt of job "+j.ID, err)
	}
	var finished any
	if next.Terminal() {
		finished = s.t(now)
	}
	_, err := c.exec(ctx, `UPDATE jobs SET state = ?, lease_expires_at = NULL, error = ?, finished_at = ?
		WHERE id = ?`, string(next), msg, finished, j.ID)
	return s.fail("end attempt of job "+j.ID, err)
}

// MarkAttemptLost ends an expired attempt as lost.
func (s *Store) MarkAttemptLost(ctx context.Context, jobID string, attempt int, epoch int64, now time.Time, reason string) (catalog.Job, error) {
	var job catalog.Job
	err := s.inTx(ctx, func(c conn) error {
		j, err := s.lockJob(ctx, c, jobID)
		if err != nil {
			return err
		}
		if err := current(j, catalog.AttemptRef{JobID: jobID, Attempt: attempt, Epoch: epoch, AgentID: j.AgentID}); err != nil {
			return err
		}
		if !j.LeaseExpiresAt.Before(now) {
			return fmt.Errorf("job %s attempt %d: lease runs until %s: %w", jobID, attempt,
				j.LeaseExpiresAt.Format(time.RFC3339Nano), catalog.ErrInvalidState)
		}
		next := catalog.JobQueued
		switch {
		case j.CancelRequested:
			next = catalog.JobCancelled
		case j.Attempt >= j.MaxAttempts:
			next = catalog.JobFailed
		}
		if err := s.endAttempt(ctx, c, j, catalog.AttemptLost, next, now, reason); err != nil {
			return err
		}
		if err := s.setSubject(ctx, c, j, next, now, &catalog.AttemptResult{Error: reason}); err != nil {
			return err
		}
		job, err = s.lockJob(ctx, c, jobID)
		return err
	})
	return job, err
}

// RequestCancel cancels a queued job or flags a running one.
func (s *Store) RequestCancel(ctx context.Context, jobID string, now time.Time, reason string) (catalog.Job, error) {
	var job catalog.Job
	err := s.inTx(ctx, func(c conn) error {
		j, err := s.lockJob(ctx, c, jobID)
		if err != nil {
			return err
		}
		switch {
		case j.State.Terminal():
			return fmt.Errorf("cancel job %s: already %s: %w", jobID, j.State, catalog.ErrInvalidState)
		case j.State == catalog.JobQueued:
			if _, err := c.exec(ctx, `UPDATE jobs SET state = 'cancelled', cancel_requested = ?, error = ?,
				finished_at = ? WHERE id = ?`, true, reason, s.t(now), jobID); err != nil {
				return s.fail("cancel job "+jobID, err)
			}
			if err := s.setSubject(ctx, c, j, catalog.JobCancelled, now, &catalog.AttemptResult{Error: reason}); err != nil {
				return err
			}
		default:
			if _, err := c.exec(ctx, `UPDATE jobs SET cancel_requested = ?, error = ? WHERE id = ?`,
				true, reason, jobID); err != nil {
				return s.fail("cancel job "+jobID, err)
			}
		}
		job, err = s.lockJob(ctx, c, jobID)
		return err
	})
	return job, err
}
