package scheduler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/cron"
)

// LeaseName is the catalog leader lease the scheduler holds.
const LeaseName = "scheduler"

// Store is what the scheduler needs from the catalog.
type Store interface {
	catalog.Clock
	catalog.ScheduleStore
	catalog.LeaderStore
	catalog.SourceStore
	catalog.BackupStore
}

// Request asks for one backup per source of a schedule's run.
type Request struct {
	Schedule     catalog.BackupSchedule
	Sources      []catalog.Source
	FireTime     time.Time
	ScheduledFor time.Time
	// IdempotencyKey is unique per (schedule, fire time).
	IdempotencyKey string
}

// CreateFunc creates the backups of a run (the API's create path, so
// validation, auditing and dispatch are the same as for manual backups).
type CreateFunc func(ctx context.Context, r Request) ([]catalog.Backup, error)

// Options configure a Scheduler.
type Options struct {
	// Holder names this replica in the leader lease.
	Holder string
	// Tick is how often due schedules are looked for.
	Tick time.Duration
	// LeaseTTL is the leader lease length; it is renewed every tick.
	LeaseTTL time.Duration
	// Now is the clock; default the catalog's database clock.
	Now func(context.Context) (time.Time, error)
	Log *slog.Logger
}

// Scheduler fires schedules while it holds the leader lease.
type Scheduler struct {
	store  Store
	create CreateFunc
	opts   Options
	log    *slog.Logger
	lease  catalog.LeaderLease
}

// New returns a Scheduler.
func New(store Store, create CreateFunc, opts Options) *Scheduler {
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = store.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{store: store, create: create, opts: opts, log: opts.Log}
}

// Run fires schedules until ctx ends, then releases the lease.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	defer s.release()
	for {
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("scheduler pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) release() {
	if s.lease.Holder == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.store.ReleaseLeaderLease(ctx, LeaseName, s.opts.Holder, s.lease.Epoch)
	s.lease = catalog.LeaderLease{}
}

// Leader reports whether the last pass held the lease, and its epoch.
func (s *Scheduler) Leader() (bool, int64) { return s.lease.Holder != "", s.lease.Epoch }

// RunOnce takes or renews the lease and, as leader, fires every due
// schedule.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	now, err := s.opts.Now(ctx)
	if err != nil {
		return err
	}
	if !s.lead(ctx, now) {
		return nil
	}
	due, err := s.store.DueSchedules(ctx, now)
	if err != nil {
		return err
	}
	for _, sc := range due {
		if err := s.fire(ctx, sc, now); err != nil {
			if errors.Is(err, catalog.ErrLeaseLost) {
				return err
			}
			s.log.Warn("schedule run failed", "schedule", sc.ID, "name", sc.Name, "err", err)
		}
	}
	return nil
}

// lead renews the lease, or tries to take it.
func (s *Scheduler) lead(ctx context.Context, now time.Time) bool {
	if s.lease.Holder != "" {
		l, err := s.store.RenewLeaderLease(ctx, LeaseName, s.opts.Holder, s.lease.Epoch, now, s.opts.LeaseTTL)
		if err == nil {
			s.lease = l
			return true
		}
		s.log.Warn("scheduler lost leadership", "epoch", s.lease.Epoch, "err", err)
		s.lease = catalog.LeaderLease{}
	}
	l, err := s.store.AcquireLeaderLease(ctx, LeaseName, s.opts.Holder, now, s.opts.LeaseTTL)
	if err != nil {
		if !errors.Is(err, catalog.ErrLeaseHeld) {
			s.log.Warn("acquire scheduler lease", "err", err)
		}
		return false
	}
	s.lease = l
	s.log.Info("scheduler leads", "holder", s.opts.Holder, "epoch", l.Epoch)
	return true
}

// fence checks, right before a side effect, that this replica still leads.
func (s *Scheduler) fence(ctx context.Context, now time.Time) error {
	l, err := s.store.RenewLeaderLease(ctx, LeaseName, s.opts.Holder, s.lease.Epoch, now, s.opts.LeaseTTL)
	if err != nil {
		s.lease = catalog.LeaderLease{}
		return fmt.Errorf("scheduler epoch %d: %w", s.lease.Epoch, catalog.ErrLeaseLost)
	}
	s.lease = l
	return nil
}

// fire runs one due schedule once for its NextRun (also when several fire
// times were missed) and advances NextRun past now.
func (s *Scheduler) fire(ctx context.Context, sc catalog.BackupSchedule, now time.Time) error {
	c, err := cron.Parse(sc.CronExpression, sc.Timezone)
	if err != nil {
		return fmt.Errorf("schedule %s: %w", sc.Name, err)
	}
	fireTime := sc.NextRun
	next := c.Next(now)
	if err := s.fence(ctx, now); err != nil {
		return err
	}
	key := fmt.Sprintf("schedule/%s/%d", sc.ID, fireTime.Unix())
	var ids []string
	busy, err := s.busy(ctx, sc, key)
	if err != nil {
		return err
	}
	if busy && sc.OverlapPolicy != catalog.OverlapQueue {
		s.log.Info("schedule run skipped: previous run still going", "schedule", sc.ID, "name", sc.Name, "fireTime", fireTime)
	} else {
		sources := s.sources(ctx, sc)
		if len(sources) > 0 {
			backups, err := s.create(ctx, Request{Schedule: sc, Sources: sources, FireTime: fireTime,
				ScheduledFor: fireTime.Add(jitter(sc, fireTime)), IdempotencyKey: key})
			if err != nil {
				// Not retried every tick: the run is recorded without
				// backups and the schedule moves on to its next time.
				s.log.Error("schedule run could not create its backups", "schedule", sc.ID, "name", sc.Name, "fireTime", fireTime, "err", err)
			}
			for _, b := range backups {
				ids = append(ids, b.ID)
			}
		}
	}
	if _, _, err := s.store.RecordScheduleRun(ctx, catalog.ScheduleRun{ScheduleID: sc.ID, FireTime: fireTime, BackupIDs: ids}); err != nil {
		return err
	}
	if missed := fireTime.Before(now.Add(-time.Minute)); missed {
		s.log.Warn("schedule fired late (missed runs collapse into one)", "schedule", sc.ID, "fireTime", fireTime, "now", now)
	}
	return s.store.SetScheduleRuns(ctx, sc.ID, fireTime, next)
}

// busy reports whether an earlier run of sc still has a pending or running
// backup (this run's own backups, from a repeated fire, do not count).
func (s *Scheduler) busy(ctx context.Context, sc catalog.BackupSchedule, key string) (bool, error) {
	for _, name := range sc.Sources {
		for _, st := range []string{catalog.BackupPending, catalog.BackupRunning} {
			list, err := catalog.All(func(p catalog.Page) ([]catalog.Backup, int, error) {
				return s.store.ListBackups(ctx, catalog.BackupFilter{Source: name, Status: st, Page: p})
			})
			if err != nil {
				return false, err
			}
			for _, b := range list {
				if b.ScheduleID == sc.ID && !strings.HasPrefix(b.IdempotencyKey, key+"/") {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// sources resolves the schedule's sources; a deleted source is skipped.
func (s *Scheduler) sources(ctx context.Context, sc catalog.BackupSchedule) []catalog.Source {
	var out []catalog.Source
	for _, name := range sc.Sources {
		src, err := s.store.GetSourceByName(ctx, name)
		if errors.Is(err, catalog.ErrNotFound) {
			src, err = s.store.GetSource(ctx, name)
		}
		if err != nil {
			s.log.Warn("schedule names a source that cannot be loaded", "schedule", sc.ID, "source", name, "err", err)
			continue
		}
		out = append(out, src)
	}
	return out
}

// jitter is a delay in [0, JitterSeconds) fixed per (schedule, fire time),
// so a repeated fire delays the same way.
func jitter(sc catalog.BackupSchedule, fire time.Time) time.Duration {
	if sc.JitterSeconds <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", sc.ID, fire.Unix())
	return time.Duration(h.Sum64()%uint64(sc.JitterSeconds)) * time.Second
}
