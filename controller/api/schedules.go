package api

import (
	"context"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/cron"
)

// Schedules implements BackupScheduleService.
type Schedules struct {
	cofferv1.UnimplementedBackupScheduleServiceServer
	d *Deps
}

// maxJitter bounds jitter so a schedule's runs stay near their time.
const maxJitter = 6 * 3600

func (s *Schedules) ListBackupSchedules(ctx context.Context, req *cofferv1.ListBackupSchedulesRequest) (*cofferv1.ListBackupSchedulesResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	list, total, err := s.d.Store.ListSchedules(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListBackupSchedulesResponse{Schedules: make([]*cofferv1.BackupSchedule, 0, len(list)), Pagination: pagination(p, total)}
	for _, sc := range list {
		out.Schedules = append(out.Schedules, scheduleProto(sc))
	}
	return out, nil
}

func (s *Schedules) GetBackupSchedule(ctx context.Context, req *cofferv1.GetBackupScheduleRequest) (*cofferv1.GetBackupScheduleResponse, error) {
	sc, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetBackupScheduleResponse{Schedule: scheduleProto(sc)}, nil
}

func (s *Schedules) byID(ctx context.Context, id string) (catalog.BackupSchedule, error) {
	return byID(ctx, "id", "backup schedule", id, s.d.Store.GetSchedule)
}

func (s *Schedules) CreateBackupSchedule(ctx context.Context, req *cofferv1.CreateBackupScheduleRequest) (*cofferv1.CreateBackupScheduleResponse, error) {
	sc := catalog.BackupSchedule{
		Name: req.GetName(), CronExpression: req.GetCronExpression(), Timezone: req.GetTimezone(),
		BackupType: req.GetBackupType(), Sources: req.GetSources(), Enabled: req.Enabled == nil || req.GetEnabled(),
		Retention: catalog.Retention{
			Days: int(req.GetRetentionDays()), KeepLast: int(req.GetKeepLast()), KeepHourly: int(req.GetKeepHourly()),
			KeepDaily: int(req.GetKeepDaily()), KeepWeekly: int(req.GetKeepWeekly()), KeepMonthly: int(req.GetKeepMonthly()),
			KeepYearly: int(req.GetKeepYearly()), PITRWindowHours: int(req.GetPitrWindowHours()),
		},
		OverlapPolicy: req.GetOverlapPolicy(), JitterSeconds: int(req.GetJitterSeconds()),
		StorageLocationID: req.GetStorageLocationId(), IdempotencyKey: idempotencyKey(ctx, req.GetIdempotencyKey()),
	}
	if err := s.validate(ctx, &sc); err != nil {
		return nil, err
	}
	now, err := s.d.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	sc.NextRun = NextRun(sc, now)
	sc, created, err := s.d.Store.CreateSchedule(ctx, sc)
	if err != nil {
		return nil, err
	}
	if created {
		if err := s.d.record(ctx, principal(ctx).Actor(), "schedule.create", "schedule/"+sc.ID,
			map[string]any{"name": sc.Name, "cron": sc.CronExpression, "timezone": sc.Timezone, "sources": sc.Sources}); err != nil {
			return nil, err
		}
	}
	return &cofferv1.CreateBackupScheduleResponse{Schedule: scheduleProto(sc)}, nil
}

// NextRun is when an enabled schedule fires next after now (zero when
// disabled). The expression was validated, so it parses.
func NextRun(sc catalog.BackupSchedule, now time.Time) time.Time {
	if !sc.Enabled {
		return time.Time{}
	}
	c, err := cron.Parse(sc.CronExpression, sc.Timezone)
	if err != nil {
		return time.Time{}
	}
	return c.Next(now)
}

// validate checks a schedule and fills defaults.
func (s *Schedules) validate(ctx context.Context, sc *catalog.BackupSchedule) error {
	if err := required("name", sc.Name); err != nil {
		return err
	}
	if err := required("cronExpression", sc.CronExpression); err != nil {
		return err
	}
	if sc.Timezone == "" {
		sc.Timezone = "UTC"
	}
	if _, err := cron.LoadZone(sc.Timezone); err != nil {
		return apierr.InvalidErr("timezone", err)
	}
	if _, err := cron.Parse(sc.CronExpression, sc.Timezone); err != nil {
		return apierr.InvalidErr("cronExpression", err)
	}
	var err error
	if sc.BackupType, err = oneOf("backupType", sc.BackupType, catalog.BackupFull, backupTypes...); err != nil {
		return err
	}
	if sc.OverlapPolicy, err = oneOf("overlapPolicy", sc.OverlapPolicy, catalog.OverlapSkip, catalog.OverlapSkip, catalog.OverlapQueue); err != nil {
		return err
	}
	if sc.JitterSeconds < 0 || sc.JitterSeconds > maxJitter {
		return apierr.Invalid("jitterSeconds", "must be between 0 and %d, got %d", maxJitter, sc.JitterSeconds)
	}
	if err := checkRetention(sc.Retention); err != nil {
		return err
	}
	if len(sc.Sources) == 0 {
		return apierr.Invalid("sources", "name at least one registered source")
	}
	for i, ref := range sc.Sources {
		src, err := s.d.findSource(ctx, "sources", ref)
		if err != nil {
			return err
		}
		sc.Sources[i] = src.Name
		if err := inScope(ctx, src); err != nil {
			return err
		}
	}
	return s.d.checkLocation(ctx, "storageLocationId", sc.StorageLocationID)
}

func checkRetention(r catalog.Retention) error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"retentionDays", r.Days}, {"keepLast", r.KeepLast}, {"keepHourly", r.KeepHourly}, {"keepDaily", r.KeepDaily},
		{"keepWeekly", r.KeepWeekly}, {"keepMonthly", r.KeepMonthly}, {"keepYearly", r.KeepYearly},
		{"pitrWindowHours", r.PITRWindowHours},
	} {
		if f.v < 0 {
			return apierr.Invalid(f.name, "must not be negative, got %d", f.v)
		}
	}
	return nil
}
