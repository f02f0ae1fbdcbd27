package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/controller/scheduler"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/catalog/sqlite"
	"github.com/cofferhq/coffer/internal/catalog/sqlstore"
	"github.com/cofferhq/coffer/internal/cron"
)

// clock is the injected clock shared by the schedulers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now(context.Context) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t, nil
}

func (c *clock) set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.t = t.UTC()
	c.mu.Unlock()
}

type env struct {
	store *sqlstore.Store
	clock *clock
	src   catalog.Source
	// created collects every run's requests.
	mu      sync.Mutex
	created []scheduler.Request
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, _, err := st.CreateSource(ctx, catalog.Source{Name: "files1", Type: "files", AgentID: "agent-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: st, clock: &clock{}, src: src}
}

// create is the scheduler's CreateFunc: it stores the backups the way the
// API does (idempotency key per source).
func (e *env) create(ctx context.Context, r scheduler.Request) ([]catalog.Backup, error) {
	e.mu.Lock()
	e.created = append(e.created, r)
	e.mu.Unlock()
	var out []catalog.Backup
	for _, s := range r.Sources {
		b, _, err := e.store.CreateBackup(ctx, catalog.Backup{SourceID: s.ID, SourceName: s.Name, SourceType: s.Type, Type: "full",
			AgentID: s.AgentID, ScheduleID: r.Schedule.ID, ScheduledFor: r.ScheduledFor, IdempotencyKey: r.IdempotencyKey + "/" + s.ID})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (e *env) runs() []scheduler.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]scheduler.Request(nil), e.created...)
}

func (e *env) scheduler(holder string) *scheduler.Scheduler {
	return scheduler.New(e.store, e.create, scheduler.Options{Holder: holder, LeaseTTL: 10 * time.Second, Now: e.clock.now})
}

// schedule stores a schedule with NextRun computed at the clock's time.
func (e *env) schedule(t *testing.T, expr, tz, overlap string) catalog.BackupSchedule {
	t.Helper()
	now, _ := e.clock.now(context.Background())
	c, err := cron.Parse(expr, tz)
	if err != nil {
		t.Fatal(err)
	}
	sc, _, err := e.store.CreateSchedule(context.Background(), catalog.BackupSchedule{
		Name: "s-" + expr, CronExpression: expr, Timezone: tz, BackupType: "full", Sources: []string{e.src.Name},
		Enabled: true, OverlapPolicy: overlap, NextRun: c.Next(now),
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func (e *env) get(t *testing.T, id string) catalog.BackupSchedule {
	t.Helper()
	sc, err := e.store.GetSchedule(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func at(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t.UTC()
}

func mustRun(t *testing.T, s *scheduler.Scheduler) {
	t.Helper()
	if err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFiresOnceAcrossSpringForward(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Berlin, 2025-03-30: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
	e.clock.set("2025-03-29T23:00:00Z")
	sc := e.schedule(t, "30 2 * * *", "Europe/Berlin", "queue")
	if want := at("2025-03-30T01:00:00Z"); !sc.NextRun.Equal(want) {
		t.Fatalf("nextRun %s, want %s (03:00 CEST, the end of the gap)", sc.NextRun, want)
	}
	s := e.scheduler("a")
	mustRun(t, s)
	if n := len(e.runs()); n != 0 {
		t.Fatalf("fired %d times before it was due", n)
	}
	e.clock.set("2025-03-30T01:00:00Z")
	mustRun(t, s)
	mustRun(t, s) // a second pass at the same time fires nothing more
	if runs := e.runs(); len(runs) != 1 || !runs[0].FireTime.Equal(at("2025-03-30T01:00:00Z")) {
		t.Fatalf("runs %+v, want one at 01:00Z", runs)
	}
	if got := e.get(t, sc.ID); !got.NextRun.Equal(at("2025-03-31T00:30:00Z")) || !got.LastRun.Equal(at("2025-03-30T01:00:00Z")) {
		t.Fatalf("after firing: next %s last %s", got.NextRun, got.LastRun)
	}
}

func TestFallBackRepeatedHourFiresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Berlin, 2025-10-26: 03:00 CEST goes back to 02:00 CET; 02:30 happens
	// twice (00:30Z and 01:30Z).
	e.clock.set("2025-10-25T22:00:00Z")
	sc := e.schedule(t, "30 2 * * *", "Europe/Berlin", "queue")
	s := e.scheduler("a")
	for _, now := range []string{"2025-10-26T00:30:00Z", "2025-10-26T01:30:00Z", "2025-10-26T05:00:00Z"} {
		e.clock.set(now)
		mustRun(t, s)
	}
	if runs := e.runs(); len(runs) != 1 {
		t.Fatalf("%d runs on the fall-back day, want 1", len(runs))
	}
	if got := e.get(t, sc.ID); !got.NextRun.Equal(at("2025-10-27T01:30:00Z")) {
		t.Fatalf("next run %s, want 02:30 CET on the 27th", got.NextRun)
	}
}

func TestMissedRunsCollapseIntoOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.set("2025-06-01T00:00:00Z")
	sc := e.schedule(t, "0 * * * *", "UTC", "queue")
	e.clock.set("2025-06-03T10:20:00Z") // the controller was down for 58 fire times
	s := e.scheduler("a")
	mustRun(t, s)
	mustRun(t, s)
	if runs := e.runs(); len(runs) != 1 {
		t.Fatalf("%d runs, want one catch-up run", len(runs))
	}
	if got := e.get(t, sc.ID); !got.NextRun.Equal(at("2025-06-03T11:00:00Z")) {
		t.Fatalf("next run %s", got.NextRun)
	}
}

func TestRunStillGoingIsNotStartedTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.set("2025-06-01T00:00:00Z")
	sc := e.schedule(t, "*/5 * * * *", "UTC", "skip")
	s := e.scheduler("a")
	e.clock.set("2025-06-01T00:05:00Z")
	mustRun(t, s)
	e.clock.set("2025-06-01T00:10:00Z") // the first backup is still pending
	mustRun(t, s)
	if runs := e.runs(); len(runs) != 1 {
		t.Fatalf("%d runs while the first was still going, want 1", len(runs))
	}
	if got := e.get(t, sc.ID); !got.NextRun.Equal(at("2025-06-01T00:15:00Z")) {
		t.Fatalf("a skipped run must still advance next_run: %s", got.NextRun)
	}
}

func TestOnlyTheLeaderFiresAndLeadershipMoves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.clock.set("2025-06-01T00:00:00Z")
	e.schedule(t, "* * * * *", "UTC", "queue")
	a, b := e.scheduler("a"), e.scheduler("b")
	e.clock.set("2025-06-01T00:01:00Z")
	mustRun(t, a)
	mustRun(t, b)
	if lead, _ := b.Leader(); lead || len(e.runs()) != 1 {
		t.Fatalf("b leads=%v with %d runs; want a alone to fire once", lead, len(e.runs()))
	}
	_, epochA := a.Leader()
	// a stops renewing; after its lease runs out b takes over.
	e.clock.set("2025-06-01T00:02:00Z")
	mustRun(t, b)
	leadB, epochB := b.Leader()
	if !leadB || epochB <= epochA {
		t.Fatalf("b leads=%v epoch %d, a had epoch %d", leadB, epochB, epochA)
	}
	mustRun(t, a) // a finds its lease gone and does not fire
	if lead, _ := a.Leader(); lead {
		t.Fatal("deposed scheduler still believes it leads")
	}
	if runs := e.runs(); len(runs) != 2 {
		t.Fatalf("%d runs, want 2 (one per leader, one per minute)", len(runs))
	}
}
