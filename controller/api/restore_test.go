package api_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	"github.com/cofferhq/coffer/controller/server"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// t0 anchors the backups' consistency points in the restore tests.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return t0.Add(d).Format(time.RFC3339Nano) }

// restoreWorld is a controller with a connected test agent owning a
// physical and a logical postgres source, and completed backups of both
// whose metadata records what the postgres driver records.
type restoreWorld struct {
	c       *ct.Controller
	backups map[string]string // label -> backup ID
}

const pgDataDir = "/srv/pg/15/main"

func newRestoreWorld(t *testing.T, edit ...func(*server.Config)) restoreWorld {
	t.Helper()
	c := ct.Start(t, edit...)
	c.MustDo(t, "POST", "/api/storage-locations", map[string]any{"name": "main", "url": "file://" + filepath.Join(t.TempDir(), "repo"), "isDefault": true})
	_, tlsCfg := c.Enroll(t, "db1")
	c.MustDo(t, "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"method": "physical", "dataDir": pgDataDir}})
	c.MustDo(t, "POST", "/api/sources", map[string]any{"name": "pglog", "type": "postgres", "config": map[string]any{"method": "logical"}})
	c.MustDo(t, "POST", "/api/sources", map[string]any{"name": "files1", "type": "files", "config": map[string]any{"paths": []string{t.TempDir()}}})
	ch := c.Open(t, tlsCfg, &cofferv1.AgentHello{AgentVersion: "test", ProtocolVersion: 1, Capabilities: []string{"source:files", "source:postgres"}})
	w := restoreWorld{c: c, backups: map[string]string{}}
	// Created out of consistency order: the pick must go by stop time.
	for _, b := range []struct {
		label, source string
		md            map[string]any
	}{
		{"A", "pg", map[string]any{"method": "physical", "type": "full", "stopTime": at(time.Hour)}},
		{"C", "pg", map[string]any{"method": "physical", "type": "full", "stopTime": at(3 * time.Hour)}},
		{"L", "pg", map[string]any{"method": "logical", "stopTime": at(150 * time.Minute)}}, // the source's method changed meanwhile
		{"B", "pg", map[string]any{"method": "physical", "type": "incremental", "stopTime": at(2 * time.Hour)}},
		{"dump", "pglog", map[string]any{"method": "logical", "stopTime": at(time.Hour)}},
		{"files", "files1", map[string]any{"files": 3.0}},
	} {
		w.backups[b.label] = completeBackup(t, c, ch, b.source, b.md)
	}
	return w
}

// completeBackup runs one backup of source through the test agent, which
// reports success with metadata md.
func completeBackup(t *testing.T, c *ct.Controller, ch *ct.Channel, source string, md map[string]any) string {
	t.Helper()
	var out struct{ Backups []struct{ ID string } }
	c.MustDo(t, "POST", "/api/backups", map[string]any{"type": "full", "databases": []string{source}}).Decode(t, &out)
	id := out.Backups[0].ID
	var a *cofferv1.JobAssignment
	for a == nil {
		a = ch.Expect(10 * time.Second).GetAssignment()
	}
	if a.GetBackup().GetBackupId() != id {
		t.Fatalf("assignment %v, want backup %s", a, id)
	}
	st, err := structpb.NewStruct(md)
	if err != nil {
		t.Fatal(err)
	}
	snap := make([]byte, 32)
	rand.Read(snap)
	ch.Accept(a)
	ch.Finish(a.GetJobId(), a.GetAttempt(), a.GetEpoch(), cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED, func(r *cofferv1.JobResult) {
		r.Detail = &cofferv1.JobResult_Backup{Backup: &cofferv1.BackupResult{SnapshotId: hex.EncodeToString(snap), SizeBytes: 10, Metadata: st}}
	})
	ct.Poll(t, 10*time.Second, "backup "+id+" to complete", func() bool {
		var got struct{ Backup struct{ Status string } }
		c.MustDo(t, "GET", "/api/backups/"+id, nil).Decode(t, &got)
		return got.Backup.Status == "completed"
	})
	return id
}

type recoveryView struct {
	ID, BackupID, Status, TargetPath, TargetDatabase, RecoveryTarget string
	PointInTime                                                      *time.Time
}

func (w restoreWorld) restore(t *testing.T, body map[string]any) recoveryView {
	t.Helper()
	var out struct{ Job recoveryView }
	w.c.MustDo(t, "POST", "/api/recovery/restore", body).Decode(t, &out)
	return out.Job
}

// onBothCatalogs runs test against a controller on SQLite and on a fresh
// PostgreSQL database.
func onBothCatalogs(t *testing.T, test func(t *testing.T, w restoreWorld)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, newRestoreWorld(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := ct.PostgresCatalog(t)
		test(t, newRestoreWorld(t, func(c *server.Config) { c.Catalog.DSN = dsn }))
	})
}

// TestRestoreTargetsByBackupMethod: physical backups restore into
// targetPath, logical ones into targetDatabase; every mistake is a 400
// naming the field.
func TestRestoreTargetsByBackupMethod(t *testing.T) {
	t.Parallel()
	onBothCatalogs(t, func(t *testing.T, w restoreWorld) {
		pit := at(150 * time.Minute)
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
			code  string
		}{
			{"physical into a database", map[string]any{"backupId": w.backups["B"], "targetDatabase": "app"}, "targetDatabase", "INVALID_ARGUMENT"},
			{"physical without a path", map[string]any{"backupId": w.backups["B"]}, "targetPath", "INVALID_ARGUMENT"},
			{"physical to a relative path", map[string]any{"backupId": w.backups["B"], "targetPath": "restored"}, "targetPath", "INVALID_ARGUMENT"},
			{"physical over the live data directory", map[string]any{"backupId": w.backups["B"], "targetPath": pgDataDir}, "overwriteExisting", "FAILED_PRECONDITION"},
			{"logical into a path", map[string]any{"backupId": w.backups["L"], "targetPath": "/srv/restore"}, "targetPath", "INVALID_ARGUMENT"},
			{"logical without a database", map[string]any{"backupId": w.backups["dump"]}, "targetDatabase", "INVALID_ARGUMENT"},
			{"logical to a point in time", map[string]any{"backupId": w.backups["dump"], "targetDatabase": "app", "pointInTime": pit}, "pointInTime", "INVALID_ARGUMENT"},
			{"logical with a recovery target", map[string]any{"backupId": w.backups["dump"], "targetDatabase": "app", "recoveryTarget": "immediate"}, "recoveryTarget", "INVALID_ARGUMENT"},
			{"files with a recovery target", map[string]any{"backupId": w.backups["files"], "targetPath": "/srv/f", "recoveryTarget": "end"}, "recoveryTarget", "INVALID_ARGUMENT"},
			{"immediate with a point in time", map[string]any{"source": "pg", "pointInTime": pit, "targetPath": "/srv/r", "recoveryTarget": "immediate"}, "recoveryTarget", "INVALID_ARGUMENT"},
			{"unknown recovery target", map[string]any{"backupId": w.backups["B"], "targetPath": "/srv/r", "recoveryTarget": "latest"}, "recoveryTarget", "INVALID_ARGUMENT"},
			{"time without a point in time", map[string]any{"backupId": w.backups["B"], "targetPath": "/srv/r", "recoveryTarget": "time"}, "pointInTime", "INVALID_ARGUMENT"},
			{"point in time without a source", map[string]any{"pointInTime": pit, "targetPath": "/srv/r"}, "source", "INVALID_ARGUMENT"},
			{"point in time of a files source", map[string]any{"source": "files1", "pointInTime": pit, "targetPath": "/srv/r"}, "source", "INVALID_ARGUMENT"},
			{"point in time of an unknown source", map[string]any{"source": "nope", "pointInTime": pit, "targetPath": "/srv/r"}, "source", "INVALID_ARGUMENT"},
			{"named base of another source", map[string]any{"backupId": w.backups["dump"], "source": "pg", "targetDatabase": "app"}, "source", "INVALID_ARGUMENT"},
			{"named base newer than the time", map[string]any{"backupId": w.backups["C"], "pointInTime": pit, "targetPath": "/srv/r"}, "pointInTime", "FAILED_PRECONDITION"},
			{"source without physical backups", map[string]any{"source": "pglog", "pointInTime": pit, "targetPath": "/srv/r"}, "pointInTime", "FAILED_PRECONDITION"},
		} {
			r := w.c.Do(t, "POST", "/api/recovery/restore", tc.body)
			if r.Status != 400 || r.Error == nil || r.Field() != tc.field || r.Error.Code != tc.code {
				t.Errorf("%s: %d %s, want 400 %s naming %q", tc.name, r.Status, r.Raw, tc.code, tc.field)
			}
		}

		// Accepted: the recorded recovery target says where replay stops.
		for _, tc := range []struct {
			body map[string]any
			want recoveryView
		}{
			{map[string]any{"backupId": w.backups["B"], "targetPath": "/srv/r1"}, recoveryView{TargetPath: "/srv/r1", RecoveryTarget: "end"}},
			{map[string]any{"backupId": w.backups["B"], "targetPath": "/srv/r2", "recoveryTarget": "immediate"}, recoveryView{TargetPath: "/srv/r2", RecoveryTarget: "immediate"}},
			{map[string]any{"backupId": w.backups["B"], "targetPath": "/srv/r3", "pointInTime": pit}, recoveryView{TargetPath: "/srv/r3", RecoveryTarget: "time"}},
			{map[string]any{"backupId": w.backups["B"], "validateOnly": true}, recoveryView{RecoveryTarget: "end"}},
			{map[string]any{"backupId": w.backups["L"], "targetDatabase": "app"}, recoveryView{TargetDatabase: "app"}},
			{map[string]any{"backupId": w.backups["files"], "targetPath": "/srv/f"}, recoveryView{TargetPath: "/srv/f"}},
		} {
			job := w.restore(t, tc.body)
			var got struct{ Job recoveryView }
			w.c.MustDo(t, "GET", "/api/recovery/status/"+job.ID, nil).Decode(t, &got)
			if got.Job.TargetPath != tc.want.TargetPath || got.Job.TargetDatabase != tc.want.TargetDatabase || got.Job.RecoveryTarget != tc.want.RecoveryTarget {
				t.Errorf("restore %v: job %+v, want %+v", tc.body, got.Job, tc.want)
			}
		}
	})
}

// TestRestorePicksTheBaseBackup: with source and pointInTime but no
// backupId the controller picks the newest physical backup consistent by
// then; an explicit backupId still wins; too early a time is refused
// naming the earliest usable time.
func TestRestorePicksTheBaseBackup(t *testing.T) {
	t.Parallel()
	onBothCatalogs(t, func(t *testing.T, w restoreWorld) {
		for i, tc := range []struct {
			source, pit, want string
		}{
			{"pg", at(150 * time.Minute), "B"}, // L is newer but logical, C is not consistent yet
			{"pg", at(2 * time.Hour), "B"},     // at its stop time exactly
			{"pg", at(2*time.Hour - time.Microsecond), "A"},
			{"pg", at(10 * time.Hour), "C"},
			{"pg", at(time.Hour), "A"},
		} {
			job := w.restore(t, map[string]any{"source": tc.source, "pointInTime": tc.pit, "targetPath": fmt.Sprintf("/srv/pick%d", i)})
			if job.BackupID != w.backups[tc.want] || job.RecoveryTarget != "time" || job.PointInTime == nil || job.PointInTime.Format(time.RFC3339Nano) != tc.pit {
				t.Errorf("restore of %s to %s: job %+v, want base %s (%s)", tc.source, tc.pit, job, tc.want, w.backups[tc.want])
			}
		}
		// The source's ID works as well as its name.
		var src struct{ Source struct{ ID string } }
		w.c.MustDo(t, "GET", "/api/sources/pg", nil).Decode(t, &src)
		if job := w.restore(t, map[string]any{"source": src.Source.ID, "pointInTime": at(10 * time.Hour), "targetPath": "/srv/byid"}); job.BackupID != w.backups["C"] {
			t.Errorf("restore by source ID: base %s, want C (%s)", job.BackupID, w.backups["C"])
		}
		// An explicit base backup overrides the pick.
		if job := w.restore(t, map[string]any{"backupId": w.backups["A"], "source": "pg", "pointInTime": at(10 * time.Hour), "targetPath": "/srv/explicit"}); job.BackupID != w.backups["A"] {
			t.Errorf("explicit backupId A: base %s", job.BackupID)
		}
		// Before the first consistency point: refused, naming it.
		r := w.c.Do(t, "POST", "/api/recovery/restore", map[string]any{"source": "pg", "pointInTime": at(59 * time.Minute), "targetPath": "/srv/early"})
		if r.Status != 400 || r.Error == nil || r.Error.Code != "FAILED_PRECONDITION" || r.Field() != "pointInTime" ||
			!strings.Contains(r.Error.Message, "earliest time it can be restored to is "+at(time.Hour)) {
			t.Fatalf("too early a point in time: %d %s, want FAILED_PRECONDITION naming %s", r.Status, r.Raw, at(time.Hour))
		}
	})
}
