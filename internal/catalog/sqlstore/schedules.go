package sqlstore

import (
	"context"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const scheduleCols = `id, name, cron_expression, timezone, backup_type, sources, enabled, retention,
	overlap_policy, jitter_seconds, storage_location_id, next_run, last_run, created_at, updated_at,
	idempotency_key`

func scanSchedule(r rowScanner) (catalog.BackupSchedule, error) {
	var v catalog.BackupSchedule
	err := r.Scan(&v.ID, &v.Name, &v.CronExpression, &v.Timezone, &v.BackupType, jsonCol{&v.Sources},
		&v.Enabled, jsonCol{&v.Retention}, &v.OverlapPolicy, &v.JitterSeconds, &v.StorageLocationID,
		timeCol{&v.NextRun}, timeCol{&v.LastRun}, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt},
		strCol{&v.IdempotencyKey})
	return v, err
}

func orNoStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// CreateSchedule stores a schedule (once per idempotency key).
func (s *Store) CreateSchedule(ctx context.Context, v catalog.BackupSchedule) (catalog.BackupSchedule, bool, error) {
	return createOnce(ctx, s, v.IdempotencyKey, s.scheduleByKey, func() (catalog.BackupSchedule, error) {
		now, err := s.Now(ctx)
		if err != nil {
			return catalog.BackupSchedule{}, err
		}
		v.ID, v.CreatedAt, v.UpdatedAt = newID(), now, now
		_, err = s.c().exec(ctx, `INSERT INTO backup_schedules (`+scheduleCols+`) VALUES
			(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Name, v.CronExpression, v.Timezone, v.BackupType, mustJSON(orNoStrings(v.Sources)),
			v.Enabled, mustJSON(v.Retention), v.OverlapPolicy, v.JitterSeconds, v.StorageLocationID,
			s.t(v.NextRun), s.t(v.LastRun), s.t(now), s.t(now), nullStr(v.IdempotencyKey))
		if err != nil {
			return catalog.BackupSchedule{}, s.fail("create schedule "+v.Name, err)
		}
		return s.GetSchedule(ctx, v.ID)
	})
}

func (s *Store) scheduleByKey(ctx context.Context, key string) (catalog.BackupSchedule, error) {
	v, err := scanSchedule(s.c().row(ctx, `SELECT `+scheduleCols+` FROM backup_schedules WHERE idempotency_key = ?`, key))
	return v, s.fail("schedule with idempotency key", err)
}

// GetSchedule returns one schedule.
func (s *Store) GetSchedule(ctx context.Context, id string) (catalog.BackupSchedule, error) {
	v, err := scanSchedule(s.c().row(ctx, `SELECT `+scheduleCols+` FROM backup_schedules WHERE id = ?`, id))
	return v, s.fail("schedule "+id, err)
}

// ListSchedules returns one page of schedules by name.
func (s *Store) ListSchedules(ctx context.Context, p catalog.Page) ([]catalog.BackupSchedule, int, error) {
	return pageOf(ctx, s, listQuery{what: "list schedules", cols: scheduleCols, table: "backup_schedules", order: "name, id", page: p}, scanSchedule)
}

// UpdateSchedule replaces the user-editable fields.
func (s *Store) UpdateSchedule(ctx context.Context, v catalog.BackupSchedule) (catalog.BackupSchedule, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.BackupSchedule{}, err
	}
	n, err := s.c().affected(ctx, `UPDATE backup_schedules SET name = ?, cron_expression = ?, timezone = ?,
		backup_type = ?, sources = ?, enabled = ?, retention = ?, overlap_policy = ?, jitter_seconds = ?,
		storage_location_id = ?, updated_at = ? WHERE id = ?`,
		v.Name, v.CronExpression, v.Timezone, v.BackupType, mustJSON(orNoStrings(v.Sources)), v.Enabled,
		mustJSON(v.Retention), v.OverlapPolicy, v.JitterSeconds, v.StorageLocationID, s.t(now), v.ID)
	if err == nil {
		err = missing(n, "schedule "+v.ID)
	}
	if err != nil {
		return catalog.BackupSchedule{}, s.fail("update schedule", err)
	}
	return s.GetSchedule(ctx, v.ID)
}

// DeleteSchedule removes a schedule and its run records.
func (s *Store) DeleteSchedule(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(c conn) error {
		// Explicit, so SQLite needs no foreign_keys pragma for the cascade.
		if _, err := c.exec(ctx, `DELETE FROM schedule_runs WHERE schedule_id = ?`, id); err != nil {
			return err
		}
		n, err := c.affected(ctx, `DELETE FROM backup_schedules WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return missing(n, "schedule "+id)
	})
	return s.fail("delete schedule", err)
}

// DueSchedules returns enabled schedules due at now, earliest first.
func (s *Store) DueSchedules(ctx context.Context, now time.Time) ([]catalog.BackupSchedule, error) {
	return queryAll(ctx, s, s.c(), "due schedules", `SELECT `+scheduleCols+` FROM backup_schedules
		WHERE enabled = ? AND next_run IS NOT NULL AND next_run <= ? ORDER BY next_run, id`,
		[]any{true, s.t(now)}, scanSchedule)
}

// SetScheduleRuns persists the scheduler's run times.
func (s *Store) SetScheduleRuns(ctx context.Context, id string, lastRun, nextRun time.Time) error {
	n, err := s.c().affected(ctx, `UPDATE backup_schedules SET last_run = ?, next_run = ? WHERE id = ?`,
		s.t(lastRun), s.t(nextRun), id)
	if err == nil {
		err = missing(n, "schedule "+id)
	}
	return s.fail("set schedule runs", err)
}

// RecordScheduleRun stores a run once per (schedule, fire time).
func (s *Store) RecordScheduleRun(ctx context.Context, r catalog.ScheduleRun) (catalog.ScheduleRun, bool, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.ScheduleRun{}, false, err
	}
	n, err := s.c().affected(ctx, `INSERT INTO schedule_runs (schedule_id, fire_time, backup_ids, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (schedule_id, fire_time) DO NOTHING`,
		r.ScheduleID, s.t(r.FireTime), mustJSON(orNoStrings(r.BackupIDs)), s.t(now))
	if err != nil {
		return catalog.ScheduleRun{}, false, s.fail("record run of schedule "+r.ScheduleID, err)
	}
	var got catalog.ScheduleRun
	err = s.c().row(ctx, `SELECT schedule_id, fire_time, backup_ids, created_at FROM schedule_runs
		WHERE schedule_id = ? AND fire_time = ?`, r.ScheduleID, s.t(r.FireTime)).Scan(
		&got.ScheduleID, timeCol{&got.FireTime}, jsonCol{&got.BackupIDs}, timeCol{&got.CreatedAt})
	if err != nil {
		return catalog.ScheduleRun{}, false, s.fail("read run of schedule "+r.ScheduleID, err)
	}
	return got, n == 1, nil
}
