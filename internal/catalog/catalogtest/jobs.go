package catalogtest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const ttl = 30 * time.Second

// queueBackup creates a backup (and its job) for agent.
func queueBackup(t testing.TB, s catalog.Store, source, agent string) catalog.Backup {
	t.Helper()
	return must2(s.CreateBackup(ctxFor(t), backupFor(source, agent)))(t)
}

func ref(j catalog.Job) catalog.AttemptRef {
	return catalog.AttemptRef{JobID: j.ID, Attempt: j.Attempt, Epoch: j.Epoch, AgentID: j.AgentID}
}

func testClaimJob(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	t0 := now(t, s)
	_, err := s.ClaimJob(ctx, "agent-1", t0, ttl)
	wantErr(t, err, catalog.ErrNoJob)

	b := queueBackup(t, s, "db1", "agent-1")
	later := backupFor("db2", "agent-1")
	later.ScheduledFor = us(t0.Add(time.Hour))
	delayed := must2(s.CreateBackup(ctx, later))(t)

	_, err = s.ClaimJob(ctx, "agent-2", t0, ttl)
	wantErr(t, err, catalog.ErrNoJob) // another agent's job is not claimable

	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	eq(t, "claimed job", j.ID, b.JobID)
	eq(t, "state", j.State, catalog.JobRunning)
	eq(t, "attempt", j.Attempt, 1)
	eq(t, "epoch", j.Epoch, int64(1))
	sameTime(t, "lease", j.LeaseExpiresAt, us(t0.Add(ttl)))
	sameTime(t, "started", j.StartedAt, us(t0))

	got := must(s.GetBackup(ctx, b.ID))(t)
	eq(t, "backup status after claim", got.Status, catalog.BackupRunning)
	sameTime(t, "backup started", got.StartedAt, us(t0))

	attempts := must(s.ListAttempts(ctx, j.ID))(t)
	if len(attempts) != 1 || attempts[0].State != catalog.AttemptRunning || attempts[0].Epoch != 1 || attempts[0].AgentID != "agent-1" {
		t.Fatalf("attempts = %+v, want one running attempt at epoch 1 on agent-1", attempts)
	}

	_, err = s.ClaimJob(ctx, "agent-1", t0, ttl)
	wantErr(t, err, catalog.ErrNoJob) // the delayed one is not due yet
	j2 := must(s.ClaimJob(ctx, "agent-1", t0.Add(2*time.Hour), ttl))(t)
	eq(t, "delayed job claimed when due", j2.ID, delayed.JobID)
}

func testClaimJobConcurrent(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	const jobs, claimers = 24, 6
	want := map[string]bool{}
	for range jobs {
		want[queueBackup(t, s, "db", "agent-1").JobID] = true
	}
	t0 := now(t, s)
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, claimers)
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, err := s.ClaimJob(ctx, "agent-1", t0, ttl)
				if errors.Is(err, catalog.ErrNoJob) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				claimed[j.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent ClaimJob: %v", err)
	}
	eq(t, "jobs claimed", len(claimed), jobs)
	for id, n := range claimed {
		if n != 1 || !want[id] {
			t.Fatalf("job %s claimed %d times (known: %v)", id, n, want[id])
		}
	}
}

func testLeaseRenewal(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	queueBackup(t, s, "db1", "agent-1")
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	r := ref(j)

	stale := r
	stale.Epoch--
	_, err := s.RenewLease(ctx, stale, t0, ttl)
	wantErr(t, err, catalog.ErrStaleEpoch)
	other := r
	other.AgentID = "agent-2"
	_, err = s.RenewLease(ctx, other, t0, ttl)
	wantErr(t, err, catalog.ErrStaleEpoch)
	_, err = s.RenewLease(ctx, catalog.AttemptRef{JobID: "no-such-job", Attempt: 1, Epoch: 1, AgentID: "agent-1"}, t0, ttl)
	wantErr(t, err, catalog.ErrNotFound)

	t1 := t0.Add(20 * time.Second)
	j = must(s.RenewLease(ctx, r, t1, ttl))(t)
	sameTime(t, "renewed lease", j.LeaseExpiresAt, us(t1.Add(ttl)))
	if exp := must(s.ExpiredAttempts(ctx, t0.Add(ttl+time.Second)))(t); len(exp) != 0 {
		t.Fatalf("renewed attempt reported expired: %+v", exp)
	}

	t2 := t1.Add(ttl + time.Second)
	_, err = s.RenewLease(ctx, r, t2, ttl)
	wantErr(t, err, catalog.ErrLeaseExpired)
	_, err = s.ReportProgress(ctx, r, t2, ttl, catalog.Progress{Sequence: 1})
	wantErr(t, err, catalog.ErrLeaseExpired)
	exp := must(s.ExpiredAttempts(ctx, t2))(t)
	if len(exp) != 1 || exp[0].JobID != j.ID || exp[0].Epoch != r.Epoch {
		t.Fatalf("ExpiredAttempts = %+v, want job %s epoch %d", exp, j.ID, r.Epoch)
	}
}

func testExpiredAttemptRetried(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	b := queueBackup(t, s, "db1", "agent-1")
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	first := ref(j)

	_, err := s.MarkAttemptLost(ctx, j.ID, j.Attempt, j.Epoch, t0, "agent silent")
	wantErr(t, err, catalog.ErrInvalidState) // lease still running

	t1 := t0.Add(ttl + time.Second)
	j = must(s.MarkAttemptLost(ctx, j.ID, j.Attempt, j.Epoch, t1, "lease expired: agent silent"))(t)
	eq(t, "state after loss", j.State, catalog.JobQueued)
	eq(t, "backup after loss", must(s.GetBackup(ctx, b.ID))(t).Status, catalog.BackupPending)
	_, err = s.MarkAttemptLost(ctx, j.ID, first.Attempt, first.Epoch, t1, "again")
	wantErr(t, err, catalog.ErrStaleEpoch)

	j = must(s.ClaimJob(ctx, "agent-1", t1, ttl))(t)
	eq(t, "retry attempt", j.Attempt, 2)
	eq(t, "retry epoch", j.Epoch, int64(2))

	// The first attempt's agent comes back: every message is stale.
	_, err = s.RenewLease(ctx, first, t1, ttl)
	wantErr(t, err, catalog.ErrStaleEpoch)
	_, err = s.ReportProgress(ctx, first, t1, ttl, catalog.Progress{Sequence: 9, BytesDone: 1})
	wantErr(t, err, catalog.ErrStaleEpoch)
	_, err = s.FinishAttempt(ctx, first, t1, catalog.AttemptResult{Outcome: catalog.OutcomeSucceeded})
	wantErr(t, err, catalog.ErrStaleEpoch)

	attempts := must(s.ListAttempts(ctx, j.ID))(t)
	if len(attempts) != 2 || attempts[0].State != catalog.AttemptLost || attempts[0].Error == "" || attempts[1].State != catalog.AttemptRunning {
		t.Fatalf("attempts = %+v, want [lost with reason, running]", attempts)
	}
}

func testAttemptsExhausted(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	b := queueBackup(t, s, "db1", "agent-1")
	at := now(t, s)
	var j catalog.Job
	for i := 1; i <= catalog.DefaultMaxAttempts; i++ {
		j = must(s.ClaimJob(ctx, "agent-1", at, ttl))(t)
		at = at.Add(ttl + time.Second)
		j = must(s.MarkAttemptLost(ctx, j.ID, j.Attempt, j.Epoch, at, "agent killed"))(t)
	}
	eq(t, "state after last loss", j.State, catalog.JobFailed)
	if j.Error == "" || j.FinishedAt.IsZero() {
		t.Fatalf("failed job lacks error or finish time: %+v", j)
	}
	got := must(s.GetBackup(ctx, b.ID))(t)
	eq(t, "backup status", got.Status, catalog.BackupFailed)
	eq(t, "backup error", got.Error, "agent killed")
	_, err := s.ClaimJob(ctx, "agent-1", at, ttl)
	wantErr(t, err, catalog.ErrNoJob)
}

func testProgressAndStall(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	queueBackup(t, s, "db1", "agent-1")
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	r := ref(j)

	p := catalog.Progress{Phase: "transferring", BytesDone: 1000, BytesTotal: 10000, EntriesDone: 3,
		EntriesTotal: 30, BytesWritten: 400, RateBytesPerSecond: 1000, ETASeconds: 9, Percent: 10, Sequence: 1}
	t1 := t0.Add(time.Second)
	j = must(s.ReportProgress(ctx, r, t1, ttl, p))(t)
	sameTime(t, "lease renewed by progress", j.LeaseExpiresAt, us(t1.Add(ttl)))
	got := j.Progress
	sameTime(t, "reported at", got.ReportedAt, us(t1))
	sameTime(t, "moved at", got.MovedAt, us(t1))
	got.ReportedAt, got.MovedAt, got.Steps = time.Time{}, time.Time{}, nil
	want := p
	want.Steps = nil
	deq(t, "progress", got, want)

	old := p
	old.Sequence, old.BytesDone = 1, 5 // a redelivered report
	j = must(s.ReportProgress(ctx, r, t1.Add(time.Second), ttl, old))(t)
	eq(t, "redelivered report ignored", j.Progress.BytesDone, int64(1000))

	// Reports keep coming but no bytes move: stalled after 10s, not dead.
	same := p
	for i := int64(2); i <= 15; i++ {
		same.Sequence = i
		j = must(s.ReportProgress(ctx, r, t1.Add(time.Duration(i)*time.Second), ttl, same))(t)
	}
	sameTime(t, "moved at without movement", j.Progress.MovedAt, us(t1))
	check := t1.Add(15 * time.Second)
	if exp := must(s.ExpiredAttempts(ctx, check))(t); len(exp) != 0 {
		t.Fatalf("reporting attempt expired: %+v", exp)
	}
	stalled := must(s.StalledAttempts(ctx, check, 10*time.Second))(t)
	if len(stalled) != 1 || stalled[0].JobID != j.ID {
		t.Fatalf("StalledAttempts = %+v, want job %s", stalled, j.ID)
	}
	same.Sequence, same.BytesDone = 16, 2000
	must(s.ReportProgress(ctx, r, check, ttl, same))(t)
	if st := must(s.StalledAttempts(ctx, check, 10*time.Second))(t); len(st) != 0 {
		t.Fatalf("attempt still stalled after bytes moved: %+v", st)
	}
}

func testFinishAttempt(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	b := queueBackup(t, s, "db1", "agent-1")
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	t1 := t0.Add(5 * time.Second)
	res := catalog.AttemptResult{
		Outcome:  catalog.OutcomeSucceeded,
		Progress: &catalog.Progress{Phase: "finalizing", BytesDone: 5000, BytesTotal: 5000, Percent: 100, Sequence: 7},
		Backup: &catalog.BackupResult{SnapshotID: "snap-1", SizeBytes: 5000, StoredBytes: 1200, EntryCount: 42,
			Metadata: map[string]any{"tool": "coffer"}},
	}
	done := must(s.FinishAttempt(ctx, ref(j), t1, res))(t)
	eq(t, "job state", done.State, catalog.JobSucceeded)
	sameTime(t, "job finished", done.FinishedAt, us(t1))
	eq(t, "final progress", done.Progress.Percent, 100.0)
	if !done.LeaseExpiresAt.IsZero() {
		t.Fatalf("finished job keeps a lease: %v", done.LeaseExpiresAt)
	}
	got := must(s.GetBackup(ctx, b.ID))(t)
	eq(t, "backup status", got.Status, catalog.BackupCompleted)
	eq(t, "snapshot", got.SnapshotID, "snap-1")
	eq(t, "size", got.SizeBytes, int64(5000))
	eq(t, "stored", got.StoredBytes, int64(1200))
	eq(t, "entries", got.EntryCount, int64(42))
	eq(t, "metadata", got.Metadata["tool"], any("coffer"))
	sameTime(t, "completed", got.CompletedAt, us(t1))

	// A redelivered result is answered idempotently...
	again := must(s.FinishAttempt(ctx, ref(j), t1.Add(time.Minute), res))(t)
	eq(t, "repeat state", again.State, catalog.JobSucceeded)
	sameTime(t, "repeat keeps finish time", again.FinishedAt, us(t1))
	// ...but a different outcome for a finished attempt is stale.
	_, err := s.FinishAttempt(ctx, ref(j), t1, catalog.AttemptResult{Outcome: catalog.OutcomeFailed, Error: "x"})
	wantErr(t, err, catalog.ErrStaleEpoch)
}

func testRetryableFailure(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	b := queueBackup(t, s, "db1", "agent-1")
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	j = must(s.FinishAttempt(ctx, ref(j), t0, catalog.AttemptResult{
		Outcome: catalog.OutcomeFailed, Error: "storage timeout", Retryable: true}))(t)
	eq(t, "requeued", j.State, catalog.JobQueued)
	eq(t, "backup pending again", must(s.GetBackup(ctx, b.ID))(t).Status, catalog.BackupPending)

	j = must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	j = must(s.FinishAttempt(ctx, ref(j), t0, catalog.AttemptResult{
		Outcome: catalog.OutcomeFailed, Error: "pg_dump exited 1: permission denied"}))(t)
	eq(t, "permanent failure", j.State, catalog.JobFailed)
	got := must(s.GetBackup(ctx, b.ID))(t)
	eq(t, "backup failed", got.Status, catalog.BackupFailed)
	eq(t, "backup error", got.Error, "pg_dump exited 1: permission denied")
}

func testCancel(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	t0 := now(t, s)
	queued := queueBackup(t, s, "db1", "agent-1")
	j := must(s.RequestCancel(ctx, queued.JobID, t0, "user asked"))(t)
	eq(t, "queued job cancelled at once", j.State, catalog.JobCancelled)
	eq(t, "backup cancelled", must(s.GetBackup(ctx, queued.ID))(t).Status, catalog.BackupCancelled)
	_, err := s.RequestCancel(ctx, queued.JobID, t0, "again")
	wantErr(t, err, catalog.ErrInvalidState)
	_, err = s.RequestCancel(ctx, "no-such-job", t0, "x")
	wantErr(t, err, catalog.ErrNotFound)

	running := queueBackup(t, s, "db2", "agent-1")
	j = must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	eq(t, "claimed", j.ID, running.JobID)
	j = must(s.RequestCancel(ctx, j.ID, t0, "user asked"))(t)
	eq(t, "running job keeps running until its agent stops", j.State, catalog.JobRunning)
	if !j.CancelRequested {
		t.Fatal("CancelRequested not set")
	}
	j = must(s.FinishAttempt(ctx, ref(j), t0.Add(time.Second), catalog.AttemptResult{Outcome: catalog.OutcomeCancelled, Error: "cancelled"}))(t)
	eq(t, "cancelled", j.State, catalog.JobCancelled)
	eq(t, "backup cancelled", must(s.GetBackup(ctx, running.ID))(t).Status, catalog.BackupCancelled)

	// A cancelled job whose agent died ends cancelled, not requeued.
	lost := queueBackup(t, s, "db3", "agent-1")
	j = must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	must(s.RequestCancel(ctx, j.ID, t0, "user asked"))(t)
	j = must(s.MarkAttemptLost(ctx, j.ID, j.Attempt, j.Epoch, t0.Add(ttl+time.Second), "lease expired"))(t)
	eq(t, "lost cancelled job", j.State, catalog.JobCancelled)
	eq(t, "its backup", must(s.GetBackup(ctx, lost.ID))(t).Status, catalog.BackupCancelled)
}
