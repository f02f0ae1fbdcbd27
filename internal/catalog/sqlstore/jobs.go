package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const jobCols = `id, kind, subject_id, source_id, agent_id, state, attempt, epoch, lease_expires_at,
	max_attempts, not_before, cancel_requested, phase, bytes_done, bytes_total, entries_done,
	entries_total, bytes_written, rate_bytes_per_second, eta_seconds, percent, progress_seq, steps,
	progress_reported_at, progress_moved_at, error, idempotency_key, created_at, started_at, finished_at`

func scanJob(r rowScanner) (catalog.Job, error) {
	var j catalog.Job
	p := &j.Progress
	err := r.Scan(&j.ID, &j.Kind, &j.SubjectID, &j.SourceID, &j.AgentID, &j.State, &j.Attempt, &j.Epoch,
		timeCol{&j.LeaseExpiresAt}, &j.MaxAttempts, timeCol{&j.NotBefore}, &j.CancelRequested, &p.Phase,
		&p.BytesDone, &p.BytesTotal, &p.EntriesDone, &p.EntriesTotal, &p.BytesWritten, &p.RateBytesPerSecond,
		&p.ETASeconds, &p.Percent, &p.Sequence, jsonCol{&p.Steps}, timeCol{&p.ReportedAt}, timeCol{&p.MovedAt},
		&j.Error, strCol{&j.IdempotencyKey}, timeCol{&j.CreatedAt}, timeCol{&j.StartedAt}, timeCol{&j.FinishedAt})
	return j, err
}

// insertJob queues j inside a transaction that also creates its subject.
func (s *Store) insertJob(ctx context.Context, c conn, j catalog.Job) error {
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = catalog.DefaultMaxAttempts
	}
	_, err := c.exec(ctx, `INSERT INTO jobs (id, kind, subject_id, source_id, agent_id, state, max_attempts,
		not_before, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, string(j.Kind), j.SubjectID, j.SourceID, j.AgentID, string(catalog.JobQueued), j.MaxAttempts,
		s.t(j.NotBefore), nullStr(j.IdempotencyKey), s.t(j.CreatedAt))
	return err
}

// GetJob returns one job.
func (s *Store) GetJob(ctx context.Context, id string) (catalog.Job, error) {
	j, err := scanJob(s.c().row(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	return j, s.fail("job "+id, err)
}

// ListJobs returns one page of jobs, oldest first.
func (s *Store) ListJobs(ctx context.Context, f catalog.JobFilter) ([]catalog.Job, int, error) {
	var where []string
	var args []any
	if f.AgentID != "" {
		where = append(where, "agent_id = ?")
		args = append(args, f.AgentID)
	}
	if f.Kind != "" {
		where = append(where, "kind = ?")
		args = append(args, string(f.Kind))
	}
	if len(f.States) > 0 {
		in := "state IN (?"
		args = append(args, string(f.States[0]))
		for _, st := range f.States[1:] {
			in += ", ?"
			args = append(args, string(st))
		}
		where = append(where, in+")")
	}
	return pageOf(ctx, s, listQuery{what: "list jobs", cols: jobCols, table: "jobs", where: whereClause(where), order: "created_at, id", args: args, page: f.Page}, scanJob)
}

const attemptCols = `job_id, attempt, epoch, agent_id, state, started_at, lease_expires_at, finished_at, error`

func scanAttempt(r rowScanner) (catalog.Attempt, error) {
	var a catalog.Attempt
	err := r.Scan(&a.JobID, &a.Attempt, &a.Epoch, &a.AgentID, &a.State, timeCol{&a.StartedAt},
		timeCol{&a.LeaseExpiresAt}, timeCol{&a.FinishedAt}, &a.Error)
	return a, err
}

// ListAttempts returns a job's attempts in order.
func (s *Store) ListAttempts(ctx context.Context, jobID string) ([]catalog.Attempt, error) {
	return s.attempts(ctx, `SELECT `+attemptCols+` FROM job_attempts WHERE job_id = ? ORDER BY attempt`, jobID)
}

// ExpiredAttempts returns running attempts whose lease ended before now.
func (s *Store) ExpiredAttempts(ctx context.Context, now time.Time) ([]catalog.Attempt, error) {
	return s.attempts(ctx, `SELECT `+prefixed("a.", attemptCols)+` FROM jobs j
		JOIN job_attempts a ON a.job_id = j.id AND a.attempt = j.attempt
		WHERE j.state = 'running' AND j.lease_expires_at < ? ORDER BY j.lease_expires_at`, s.t(now))
}

// StalledAttempts returns running attempts whose bytes last moved before
// now-stall.
func (s *Store) StalledAttempts(ctx context.Context, now time.Time, stall time.Duration) ([]catalog.Attempt, error) {
	return s.attempts(ctx, `SELECT `+prefixed("a.", attemptCols)+` FROM jobs j
		JOIN job_attempts a ON a.job_id = j.id AND a.attempt = j.attempt
		WHERE j.state = 'running' AND j.progress_moved_at < ? ORDER BY j.progress_moved_at`, s.t(now.Add(-stall)))
}

func (s *Store) attempts(ctx context.Context, q string, args ...any) ([]catalog.Attempt, error) {
	return queryAll(ctx, s, s.c(), "list attempts", q, args, scanAttempt)
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	out := ""
	for i, c := range strings.Split(cols, ",") {
		if i > 0 {
			out += ", "
		}
		out += p + strings.TrimSpace(c)
	}
	return out
}

// lockJob reads a job for update inside a transaction.
func (s *Store) lockJob(ctx context.Context, c conn, id string) (catalog.Job, error) {
	j, err := scanJob(c.row(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`+s.d.ForUpdate, id))
	if err != nil {
		return catalog.Job{}, s.fail("job "+id, err)
	}
	return j, nil
}

// current checks that ref names j's running attempt on ref.AgentID.
func current(j catalog.Job, ref catalog.AttemptRef) error {
	if j.State != catalog.JobRunning || j.Attempt != ref.Attempt || j.Epoch != ref.Epoch || j.AgentID != ref.AgentID {
		return fmt.Errorf("job %s attempt %d epoch %d (current: %s attempt %d epoch %d): %w",
			ref.JobID, ref.Attempt, ref.Epoch, j.State, j.Attempt, j.Epoch, catalog.ErrStaleEpoch)
	}
	return nil
}
