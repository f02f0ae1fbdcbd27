package api

import (
	"context"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

func (s *Schedules) UpdateBackupSchedule(ctx context.Context, req *cofferv1.UpdateBackupScheduleRequest) (*cofferv1.UpdateBackupScheduleResponse, error) {
	sc, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	before := sc
	setStr := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setInt := func(dst *int, v *int32) {
		if v != nil {
			*dst = int(*v)
		}
	}
	setStr(&sc.Name, req.Name)
	setStr(&sc.CronExpression, req.CronExpression)
	setStr(&sc.Timezone, req.Timezone)
	setStr(&sc.BackupType, req.BackupType)
	setStr(&sc.OverlapPolicy, req.OverlapPolicy)
	setStr(&sc.StorageLocationID, req.StorageLocationId)
	if len(req.GetSources()) > 0 {
		sc.Sources = req.GetSources()
	}
	if req.Enabled != nil {
		sc.Enabled = req.GetEnabled()
	}
	setInt(&sc.Retention.Days, req.RetentionDays)
	setInt(&sc.Retention.KeepLast, req.KeepLast)
	setInt(&sc.Retention.KeepHourly, req.KeepHourly)
	setInt(&sc.Retention.KeepDaily, req.KeepDaily)
	setInt(&sc.Retention.KeepWeekly, req.KeepWeekly)
	setInt(&sc.Retention.KeepMonthly, req.KeepMonthly)
	setInt(&sc.Retention.KeepYearly, req.KeepYearly)
	setInt(&sc.Retention.PITRWindowHours, req.PitrWindowHours)
	setInt(&sc.JitterSeconds, req.JitterSeconds)
	if err := s.validate(ctx, &sc); err != nil {
		return nil, err
	}
	if sc, err = s.d.Store.UpdateSchedule(ctx, sc); err != nil {
		return nil, err
	}
	if sc.CronExpression != before.CronExpression || sc.Timezone != before.Timezone || sc.Enabled != before.Enabled {
		now, err := s.d.Store.Now(ctx)
		if err != nil {
			return nil, err
		}
		sc.NextRun = NextRun(sc, now)
		if err := s.d.Store.SetScheduleRuns(ctx, sc.ID, sc.LastRun, sc.NextRun); err != nil {
			return nil, err
		}
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "schedule.update", "schedule/"+sc.ID,
		map[string]any{"name": sc.Name, "cron": sc.CronExpression, "timezone": sc.Timezone, "enabled": sc.Enabled}); err != nil {
		return nil, err
	}
	return &cofferv1.UpdateBackupScheduleResponse{Schedule: scheduleProto(sc)}, nil
}

func (s *Schedules) DeleteBackupSchedule(ctx context.Context, req *cofferv1.DeleteBackupScheduleRequest) (*cofferv1.DeleteBackupScheduleResponse, error) {
	sc, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.d.Store.DeleteSchedule(ctx, sc.ID); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "schedule.delete", "schedule/"+sc.ID, map[string]any{"name": sc.Name}); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteBackupScheduleResponse{Id: sc.ID}, nil
}
