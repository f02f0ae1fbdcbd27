package catalogtest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func testRecoveryJobs(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	pit := us(time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC))
	in := catalog.RecoveryJob{BackupID: "b-1", SourceID: "src-1", AgentID: "agent-1", TargetPath: "/restore/here",
		PointInTime: pit, RecoveryTarget: catalog.RecoveryTargetTime, OverwriteExisting: true, IdempotencyKey: "restore-1"}
	r, created, err := s.CreateRecoveryJob(ctx, in)
	if err != nil || !created {
		t.Fatalf("CreateRecoveryJob: created=%v err=%v", created, err)
	}
	eq(t, "status", r.Status, catalog.RecoveryPending)
	sameTime(t, "point in time", r.PointInTime, pit)
	eq(t, "target", r.TargetPath, "/restore/here")
	eq(t, "recovery target", r.RecoveryTarget, catalog.RecoveryTargetTime)
	again, created, err := s.CreateRecoveryJob(ctx, in)
	if err != nil || created || again.ID != r.ID {
		t.Fatalf("repeated CreateRecoveryJob = %s created=%v err=%v, want %s", again.ID, created, err, r.ID)
	}
	afterClockTick(t, s, r.CreatedAt) // SQLite's clock has millisecond steps: keep "oldest first" well defined
	other := must2(s.CreateRecoveryJob(ctx, catalog.RecoveryJob{BackupID: "b-2", AgentID: "agent-1", TargetDatabase: "app", ValidateOnly: true}))(t)
	afterClockTick(t, s, other.CreatedAt)
	immediate := must2(s.CreateRecoveryJob(ctx, catalog.RecoveryJob{BackupID: "b-3", AgentID: "agent-2", TargetPath: "/pgdata",
		RecoveryTarget: catalog.RecoveryTargetImmediate}))(t)
	eq(t, "recovery target read back", must(s.GetRecoveryJob(ctx, immediate.ID))(t).RecoveryTarget, catalog.RecoveryTargetImmediate)
	eq(t, "no recovery target", other.RecoveryTarget, "")

	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	eq(t, "job kind", j.Kind, catalog.JobRestore)
	eq(t, "oldest first", j.SubjectID, r.ID)
	eq(t, "running", must(s.GetRecoveryJob(ctx, r.ID))(t).Status, catalog.RecoveryRunning)

	steps := []catalog.Step{
		{Name: "download base backup", Status: "completed", StartedAt: us(t0), CompletedAt: us(t0.Add(time.Second))},
		{Name: "replay WAL", Status: "running", StartedAt: us(t0.Add(time.Second)), Message: "0/3000028"},
	}
	j = must(s.ReportProgress(ctx, ref(j), t0, ttl, catalog.Progress{Sequence: 1, Percent: 50, Steps: steps}))(t)
	deq(t, "steps", j.Progress.Steps, steps)

	recovered := us(pit.Add(-time.Second))
	must(s.FinishAttempt(ctx, ref(j), t0.Add(time.Minute), catalog.AttemptResult{
		Outcome: catalog.OutcomeSucceeded, Restore: &catalog.RestoreResult{RecoveredTo: recovered}}))(t)
	done := must(s.GetRecoveryJob(ctx, r.ID))(t)
	eq(t, "completed", done.Status, catalog.RecoveryCompleted)
	sameTime(t, "recovered to", done.RecoveredTo, recovered)
	sameTime(t, "completed at", done.CompletedAt, us(t0.Add(time.Minute)))

	list, total, err := s.ListRecoveryJobs(ctx, catalog.RecoveryFilter{})
	if err != nil || total != 3 || list[0].ID != immediate.ID || list[0].RecoveryTarget != catalog.RecoveryTargetImmediate {
		t.Fatalf("ListRecoveryJobs = %d items (total %d), first %v, err %v; want newest (%s) first of 3", len(list), total, list, err, immediate.ID)
	}
	list, total, err = s.ListRecoveryJobs(ctx, catalog.RecoveryFilter{Status: catalog.RecoveryCompleted})
	if err != nil || total != 1 || list[0].ID != r.ID {
		t.Fatalf("completed recovery jobs = %v (total %d, err %v), want %s", list, total, err, r.ID)
	}
	list, _, err = s.ListRecoveryJobs(ctx, catalog.RecoveryFilter{BackupID: "b-2"})
	if err != nil || len(list) != 1 || !list[0].ValidateOnly || list[0].TargetDatabase != "app" {
		t.Fatalf("recovery jobs of b-2 = %+v, err %v", list, err)
	}
	_, err = s.GetRecoveryJob(ctx, "nope")
	wantErr(t, err, catalog.ErrNotFound)
}

// afterClockTick waits until the store's clock has moved past t.
func afterClockTick(t *testing.T, s catalog.Store, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !now(t, s).After(at) {
		if time.Now().After(deadline) {
			t.Fatalf("the store's clock did not move past %v in 5s", at)
		}
	}
}

func testVerifications(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	b := must2(s.ImportBackup(ctx, func() catalog.Backup {
		b := backupFor("db1", "agent-1")
		b.Status = catalog.BackupCompleted
		return b
	}()))(t)
	v := must(s.CreateVerification(ctx, catalog.BackupVerification{BackupID: b.ID, Kind: catalog.VerifyDeep, AgentID: "agent-1"}))(t)
	eq(t, "status", v.Status, catalog.VerificationPending)
	t0 := now(t, s)
	j := must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	eq(t, "job kind", j.Kind, catalog.JobVerify)
	eq(t, "running", must(s.GetVerification(ctx, v.ID))(t).Status, catalog.VerificationRunning)
	must(s.FinishAttempt(ctx, ref(j), t0, catalog.AttemptResult{Outcome: catalog.OutcomeSucceeded,
		Verify: &catalog.VerifyResult{Passed: true, Details: map[string]any{"packs": float64(12)}}}))(t)
	got := must(s.GetVerification(ctx, v.ID))(t)
	eq(t, "passed", got.Status, catalog.VerificationPassed)
	eq(t, "details", got.Details["packs"], any(float64(12)))

	v2 := must(s.CreateVerification(ctx, catalog.BackupVerification{BackupID: b.ID, Kind: catalog.VerifyRestore, AgentID: "agent-1"}))(t)
	j = must(s.ClaimJob(ctx, "agent-1", t0, ttl))(t)
	must(s.FinishAttempt(ctx, ref(j), t0, catalog.AttemptResult{Outcome: catalog.OutcomeSucceeded,
		Verify: &catalog.VerifyResult{Passed: false, RecoveryTimeSeconds: 12.5}}))(t)
	got = must(s.GetVerification(ctx, v2.ID))(t)
	eq(t, "failed check", got.Status, catalog.VerificationFailed)
	eq(t, "recovery time", got.RecoveryTimeSeconds, 12.5)

	list := must(s.ListVerifications(ctx, b.ID))(t)
	if len(list) != 2 {
		t.Fatalf("ListVerifications = %d, want 2", len(list))
	}
	_, err := s.CreateVerification(ctx, catalog.BackupVerification{BackupID: "no-such-backup", Kind: catalog.VerifyDeep})
	wantErr(t, err, catalog.ErrNotFound) // the backup must exist
}

func testSchedules(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	next := us(time.Date(2024, 5, 2, 1, 0, 0, 0, time.UTC))
	in := catalog.BackupSchedule{
		Name: "nightly", CronExpression: "0 3 * * *", Timezone: "Europe/Berlin", BackupType: catalog.BackupFull,
		Sources: []string{"db1", "files"}, Enabled: true, OverlapPolicy: catalog.OverlapSkip, JitterSeconds: 30,
		Retention: catalog.Retention{Days: 7, KeepDaily: 7, KeepWeekly: 4, PITRWindowHours: 48},
		NextRun:   next, IdempotencyKey: "create-nightly",
	}
	sc, created, err := s.CreateSchedule(ctx, in)
	if err != nil || !created {
		t.Fatalf("CreateSchedule: created=%v err=%v", created, err)
	}
	want := in
	want.ID, want.CreatedAt, want.UpdatedAt = sc.ID, sc.CreatedAt, sc.UpdatedAt
	deq(t, "created schedule", sc, want)
	deq(t, "fetched schedule", must(s.GetSchedule(ctx, sc.ID))(t), want)
	again, created, err := s.CreateSchedule(ctx, in)
	if err != nil || created || again.ID != sc.ID {
		t.Fatalf("repeated CreateSchedule = %s created=%v err=%v", again.ID, created, err)
	}
	dup := in
	dup.IdempotencyKey = ""
	_, _, err = s.CreateSchedule(ctx, dup)
	wantErr(t, err, catalog.ErrConflict) // name taken

	sc.CronExpression, sc.Enabled, sc.Sources = "0 4 * * *", false, []string{"db1"}
	sc.NextRun = time.Time{} // not the user's to change
	up := must(s.UpdateSchedule(ctx, sc))(t)
	eq(t, "cron", up.CronExpression, "0 4 * * *")
	eq(t, "enabled", up.Enabled, false)
	deq(t, "sources", up.Sources, []string{"db1"})
	sameTime(t, "next run kept", up.NextRun, next)

	other := must2(s.CreateSchedule(ctx, catalog.BackupSchedule{Name: "hourly", CronExpression: "@hourly",
		Timezone: "UTC", BackupType: catalog.BackupIncremental, Enabled: true, NextRun: next.Add(-time.Hour)}))(t)
	due := must(s.DueSchedules(ctx, next))(t)
	if len(due) != 1 || due[0].ID != other.ID {
		t.Fatalf("DueSchedules = %+v, want only the enabled hourly schedule", due)
	}
	noErr(t, s.SetScheduleRuns(ctx, other.ID, next.Add(-time.Hour), next.Add(time.Hour)))
	if due := must(s.DueSchedules(ctx, next))(t); len(due) != 0 {
		t.Fatalf("schedule still due after SetScheduleRuns: %+v", due)
	}
	got := must(s.GetSchedule(ctx, other.ID))(t)
	sameTime(t, "last run", got.LastRun, next.Add(-time.Hour))
	sameTime(t, "next run", got.NextRun, next.Add(time.Hour))

	list, total, err := s.ListSchedules(ctx, catalog.Page{})
	if err != nil || total != 2 || list[0].Name != "hourly" {
		t.Fatalf("ListSchedules = %v total %d err %v", list, total, err)
	}
	noErr(t, s.DeleteSchedule(ctx, sc.ID))
	_, err = s.GetSchedule(ctx, sc.ID)
	wantErr(t, err, catalog.ErrNotFound)
	wantErr(t, s.DeleteSchedule(ctx, sc.ID), catalog.ErrNotFound)
	_, err = s.UpdateSchedule(ctx, sc)
	wantErr(t, err, catalog.ErrNotFound)
}

func testScheduleRunsOnce(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	sc := must2(s.CreateSchedule(ctx, catalog.BackupSchedule{Name: "n", CronExpression: "@daily", Timezone: "UTC",
		BackupType: catalog.BackupFull, Enabled: true}))(t)
	fire := us(time.Date(2024, 3, 31, 1, 30, 0, 0, time.UTC))
	run, created, err := s.RecordScheduleRun(ctx, catalog.ScheduleRun{ScheduleID: sc.ID, FireTime: fire, BackupIDs: []string{"b1"}})
	if err != nil || !created {
		t.Fatalf("first RecordScheduleRun: created=%v err=%v", created, err)
	}
	deq(t, "backups of run", run.BackupIDs, []string{"b1"})
	again, created, err := s.RecordScheduleRun(ctx, catalog.ScheduleRun{ScheduleID: sc.ID, FireTime: fire, BackupIDs: []string{"b2"}})
	if err != nil || created {
		t.Fatalf("repeated RecordScheduleRun: created=%v err=%v, want the stored run", created, err)
	}
	deq(t, "repeat returns the first run", again.BackupIDs, []string{"b1"})
	_, created, err = s.RecordScheduleRun(ctx, catalog.ScheduleRun{ScheduleID: sc.ID, FireTime: fire.Add(24 * time.Hour)})
	if err != nil || !created {
		t.Fatalf("next fire time: created=%v err=%v", created, err)
	}
}
