package catalogtest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func backupFor(source, agent string) catalog.Backup {
	return catalog.Backup{
		SourceID: "src-" + source, SourceName: source, SourceType: catalog.SourceFiles,
		Type: catalog.BackupFull, AgentID: agent, StorageLocationID: "loc-1",
		Compression: true, Encryption: true,
	}
}

func testBackupCreateGet(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	before := now(t, s)
	in := backupFor("db1", "agent-1")
	in.IncludeFiles = true
	in.ParentBackupID = "parent-1"
	in.ScheduleID = "sched-1"
	in.ScheduledFor = us(before.Add(time.Hour))
	in.Metadata = map[string]any{"pgVersion": "15.4", "walStart": "0/3000028", "tables": float64(12)}
	b, created := must2(s.CreateBackup(ctx, in))(t), true
	_ = created
	if b.ID == "" || b.JobID == "" {
		t.Fatalf("CreateBackup did not assign IDs: %+v", b)
	}
	eq(t, "status", b.Status, catalog.BackupPending)
	if b.CreatedAt.Before(before) || b.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want UTC at or after %v", b.CreatedAt, before)
	}
	got := must(s.GetBackup(ctx, b.ID))(t)
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("GetBackup = %+v\nwant %+v", got, b)
	}
	want := in
	want.ID, want.JobID, want.Status, want.CreatedAt = b.ID, b.JobID, b.Status, b.CreatedAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored backup = %+v\nwant %+v", got, want)
	}
	job := must(s.GetJob(ctx, b.JobID))(t)
	eq(t, "job kind", job.Kind, catalog.JobBackup)
	eq(t, "job subject", job.SubjectID, b.ID)
	eq(t, "job agent", job.AgentID, "agent-1")
	eq(t, "job state", job.State, catalog.JobQueued)
	sameTime(t, "job not before", job.NotBefore, in.ScheduledFor)

	_, err := s.GetBackup(ctx, "no-such-backup")
	wantErr(t, err, catalog.ErrNotFound)
	_, err = s.SetBackupStatus(ctx, "no-such-backup", catalog.BackupDeleted)
	wantErr(t, err, catalog.ErrNotFound)
	b = must(s.SetBackupStatus(ctx, b.ID, catalog.BackupDeleting))(t)
	eq(t, "status after SetBackupStatus", b.Status, catalog.BackupDeleting)
}

func testBackupIdempotency(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	in := backupFor("db1", "agent-1")
	in.IdempotencyKey = "req-42/src-db1"
	first, created, err := s.CreateBackup(ctx, in)
	if err != nil || !created {
		t.Fatalf("first CreateBackup: created=%v err=%v", created, err)
	}
	second, created, err := s.CreateBackup(ctx, in)
	if err != nil || created {
		t.Fatalf("repeated CreateBackup: created=%v err=%v, want existing", created, err)
	}
	eq(t, "repeated backup ID", second.ID, first.ID)
	_, total, err := s.ListBackups(ctx, catalog.BackupFilter{})
	eq(t, "backups after repeat", must(total, err)(t), 1)
	_, jobs, err := s.ListJobs(ctx, catalog.JobFilter{})
	eq(t, "jobs after repeat", must(jobs, err)(t), 1)

	imp := backupFor("db1", "agent-1")
	imp.IdempotencyKey = "snapshot:abc"
	imp.Status, imp.SnapshotID = catalog.BackupCompleted, "abc"
	a := must2(s.ImportBackup(ctx, imp))(t)
	b, created, err := s.ImportBackup(ctx, imp)
	if err != nil || created || b.ID != a.ID {
		t.Fatalf("repeated ImportBackup = %s created=%v err=%v, want %s", b.ID, created, err, a.ID)
	}
	eq(t, "imported status", a.Status, catalog.BackupCompleted)
	eq(t, "imported job", a.JobID, "")
}

// seedBackups imports n backups one minute apart ending at end, cycling
// through sources, types and statuses so every filter has matches.
func seedBackups(t testing.TB, s catalog.Store, n int, end time.Time) []catalog.Backup {
	ctx := ctxFor(t)
	sources := []string{"alpha", "beta", "gamma", "delta"}
	types := []string{catalog.BackupFull, catalog.BackupIncremental, catalog.BackupDifferential}
	statuses := []string{catalog.BackupCompleted, catalog.BackupFailed, catalog.BackupRunning, catalog.BackupCompleted, catalog.BackupCancelled}
	out := make([]catalog.Backup, 0, n)
	for i := range n {
		b := backupFor(sources[i%len(sources)], "agent-1")
		b.Type = types[i%len(types)]
		b.Status = statuses[i%len(statuses)]
		b.CreatedAt = us(end.Add(-time.Duration(n-i) * time.Minute))
		b.SnapshotID = fmt.Sprintf("snap-%05d", i)
		out = append(out, must2(s.ImportBackup(ctx, b))(t))
	}
	return out
}

func testBackupListFilters(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	end := us(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	all := seedBackups(t, s, 60, end)
	from, before := all[10].CreatedAt, all[40].CreatedAt
	filters := []struct {
		name string
		f    catalog.BackupFilter
		keep func(catalog.Backup) bool
	}{
		{"none", catalog.BackupFilter{}, func(catalog.Backup) bool { return true }},
		{"source name", catalog.BackupFilter{Source: "beta"}, func(b catalog.Backup) bool { return b.SourceName == "beta" }},
		{"source id", catalog.BackupFilter{Source: "src-gamma"}, func(b catalog.Backup) bool { return b.SourceID == "src-gamma" }},
		{"type", catalog.BackupFilter{Type: catalog.BackupIncremental}, func(b catalog.Backup) bool { return b.Type == catalog.BackupIncremental }},
		{"status", catalog.BackupFilter{Status: catalog.BackupFailed}, func(b catalog.Backup) bool { return b.Status == catalog.BackupFailed }},
		{"date range", catalog.BackupFilter{CreatedFrom: from, CreatedBefore: before}, func(b catalog.Backup) bool {
			return !b.CreatedAt.Before(from) && b.CreatedAt.Before(before)
		}},
		{"combined", catalog.BackupFilter{Source: "alpha", Status: catalog.BackupCompleted, CreatedFrom: from}, func(b catalog.Backup) bool {
			return b.SourceName == "alpha" && b.Status == catalog.BackupCompleted && !b.CreatedAt.Before(from)
		}},
		{"no match", catalog.BackupFilter{Source: "nope"}, func(catalog.Backup) bool { return false }},
	}
	for _, tc := range filters {
		var want []string
		for i := len(all) - 1; i >= 0; i-- { // newest first
			if tc.keep(all[i]) {
				want = append(want, all[i].ID)
			}
		}
		tc.f.Page = catalog.Page{Limit: catalog.MaxLimit}
		got, total, err := s.ListBackups(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: ListBackups: %v", tc.name, err)
		}
		if total != len(want) {
			t.Fatalf("%s: total = %d, want %d", tc.name, total, len(want))
		}
		var ids []string
		for _, b := range got {
			ids = append(ids, b.ID)
		}
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("%s: got %d backups %v, want %d %v", tc.name, len(ids), ids, len(want), want)
		}
	}
}

func testBackupListPagination(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	all := seedBackups(t, s, 25, us(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)))
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		got, total, err := s.ListBackups(ctx, catalog.BackupFilter{Page: catalog.Page{Page: page, Limit: 10}})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		eq(t, "total", total, 25)
		wantLen := min(10, 25-(page-1)*10)
		eq(t, fmt.Sprintf("page %d length", page), len(got), wantLen)
		eq(t, fmt.Sprintf("page %d first", page), got[0].ID, all[len(all)-1-(page-1)*10].ID)
		for _, b := range got {
			if seen[b.ID] {
				t.Fatalf("backup %s on two pages", b.ID)
			}
			seen[b.ID] = true
		}
	}
	got, total, err := s.ListBackups(ctx, catalog.BackupFilter{Page: catalog.Page{Page: 4, Limit: 10}})
	if err != nil || len(got) != 0 || total != 25 {
		t.Fatalf("page past the end = %d items, total %d, err %v; want 0, 25, nil", len(got), total, err)
	}
	got, _, err = s.ListBackups(ctx, catalog.BackupFilter{})
	eq(t, "default page size", len(must(got, err)(t)), catalog.DefaultLimit)
}
