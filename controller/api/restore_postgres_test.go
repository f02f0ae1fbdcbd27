package api_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent"
	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	"github.com/cofferhq/coffer/controller/server"
	"github.com/cofferhq/coffer/internal/pgtest"
)

// startAgent runs a real agent in this process (as `coffer dev` does)
// until the test ends and returns its ID once it is online.
func startAgent(t *testing.T, c *ct.Controller, name string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- agent.Run(ctx, agent.Config{
			ControllerAddr: c.S.GRPCAddr(), ServerName: "127.0.0.1", DataDir: t.TempDir(), CACertPEM: c.S.CA.CertPEM,
			JoinToken: c.JoinToken(t, name), Name: name, Version: "test", WALSocket: agent.WALSocketOff,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("agent: %v", err)
		}
	})
	var id string
	ct.Poll(t, time.Minute, "agent "+name+" to be online", func() bool {
		var out struct {
			Agents []struct{ ID, Name, Status string }
		}
		c.MustDo(t, "GET", "/api/agents", nil).Decode(t, &out)
		for _, a := range out.Agents {
			if a.Name == name && a.Status == "online" {
				id = a.ID
			}
		}
		return id != ""
	})
	return id
}

type pgRecovery struct {
	ID, BackupID, Status, Error, RecoveryTarget string
	Steps                                       []struct{ Name, Status, Message string }
}

// TestPostgresRestoreThroughTheAPI: a physical postgres source registered,
// backed up and restored through the REST API alone, against a real
// archiving PostgreSQL 15 cluster and a real agent. A restore naming only
// the source and a point in time gets the base backup picked for it and
// holds exactly the rows committed by then; recoveryTarget "immediate"
// gives the rows at the backup's end.
func TestPostgresRestoreThroughTheAPI(t *testing.T) {
	t.Parallel()
	base := pgtest.TempDir(t, "coffer-api-pg-")
	rp := pgtest.Repository{Dir: filepath.Join(base, "repo"), KeyFile: filepath.Join(base, "repo.key")}
	c := ct.Start(t, func(cfg *server.Config) {
		cfg.Storage.Default = server.DefaultLocation{Name: "local", URL: "file://" + rp.Dir, KeyFile: rp.KeyFile}
	})
	// PostgreSQL's archive_command and restore_command use the controller's
	// default repository as the postgres user.
	if err := pgtest.Chown(base); err != nil {
		t.Fatal(err)
	}
	pg := pgtest.New(t, pgtest.Options{Settings: pgtest.ArchiveSettings(t, rp, "pg")})
	agentID := startAgent(t, c, "pg-host")
	c.MustDo(t, "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "agentId": agentID, "config": map[string]any{
		"method": "physical", "host": "127.0.0.1", "port": pg.Port, "user": "postgres", "dataDir": pg.DataDir, "binDir": pg.BinDir,
		"walTimeoutSeconds": 60, "archive": map[string]any{"coffer": pgtest.CofferBinary(t), "repo": rp.Dir, "keyFile": rp.KeyFile},
	}})

	pg.CreateMarks(t)
	for range 3 {
		pg.AddMark(t)
	}
	first := backupThroughAPI(t, c)
	early := pg.AddMark(t) // between the backups: only the first can reach it
	pg.AddMark(t)
	second := backupThroughAPI(t, c)
	atSecond := pg.Int(t, "postgres", "SELECT count(*) FROM marks")
	pg.AddMark(t)
	pg.AddMark(t)
	var segment string
	pg.QueryRow(t, "postgres", "SELECT pg_walfile_name(pg_current_wal_lsn())", &segment)
	pg.Exec(t, "postgres", "SELECT pg_switch_wal()")
	pg.WaitArchived(t, segment, time.Minute)

	// Point in time, base picked by the controller.
	job, data := restoreThroughAPI(t, c, map[string]any{"source": "pg", "pointInTime": early.At.Format(time.RFC3339Nano)})
	if job.BackupID != first || job.RecoveryTarget != "time" {
		t.Fatalf("restore to %s: base %s target %q, want the first backup %s (the second ends later) and \"time\"", early.At, job.BackupID, job.RecoveryTarget, first)
	}
	steps := map[string]string{}
	for _, s := range job.Steps {
		steps[s.Name] = s.Status
	}
	for name, want := range map[string]string{"validation": "completed", "extraction": "completed", "restoration": "completed", "wal replay": "skipped"} {
		if steps[name] != want {
			t.Errorf("step %q is %q, want %q (steps %+v)", name, steps[name], want, job.Steps)
		}
	}
	if n := startRestored(t, data); n != early.N {
		t.Errorf("restore to %s (mark %d): %d rows", early.At, early.N, n)
	}

	// The second backup's consistency point.
	job, data = restoreThroughAPI(t, c, map[string]any{"backupId": second, "recoveryTarget": "immediate"})
	if job.RecoveryTarget != "immediate" {
		t.Errorf("immediate restore recorded target %q", job.RecoveryTarget)
	}
	if n := startRestored(t, data); n != atSecond {
		t.Errorf("restore of the second backup to its consistency point: %d rows, want %d", n, atSecond)
	}
}

// backupThroughAPI takes a full backup of source "pg" and waits for it.
func backupThroughAPI(t *testing.T, c *ct.Controller) string {
	t.Helper()
	var out struct{ Backups []struct{ ID string } }
	c.MustDo(t, "POST", "/api/backups", map[string]any{"type": "full", "databases": []string{"pg"}}).Decode(t, &out)
	id := out.Backups[0].ID
	var b struct{ Status, Error string }
	ct.Poll(t, 2*time.Minute, "backup "+id, func() bool {
		var got struct {
			Backup struct{ Status, Error string }
		}
		c.MustDo(t, "GET", "/api/backups/"+id, nil).Decode(t, &got)
		b = got.Backup
		return b.Status == "completed" || b.Status == "failed" || b.Status == "cancelled"
	})
	if b.Status != "completed" {
		t.Fatalf("backup %s: %s %s", id, b.Status, b.Error)
	}
	return id
}

// restoreThroughAPI restores into a fresh data directory and polls the
// recovery job until it ends.
func restoreThroughAPI(t *testing.T, c *ct.Controller, body map[string]any) (pgRecovery, string) {
	t.Helper()
	data := filepath.Join(pgtest.TempDir(t, "coffer-api-restore-"), "data")
	body["targetPath"] = data
	var out struct{ Job pgRecovery }
	c.MustDo(t, "POST", "/api/recovery/restore", body).Decode(t, &out)
	var job pgRecovery
	ct.Poll(t, 2*time.Minute, "restore "+out.Job.ID, func() bool {
		var got struct{ Job pgRecovery }
		c.MustDo(t, "GET", "/api/recovery/status/"+out.Job.ID, nil).Decode(t, &got)
		job = got.Job
		return job.Status == "completed" || job.Status == "failed" || job.Status == "cancelled"
	})
	if job.Status != "completed" {
		t.Fatalf("restore %v: %s: %s", body, job.Status, job.Error)
	}
	return job, data
}

// startRestored starts PostgreSQL on a restored data directory (without
// archiving into the source's stream), waits for recovery to end and
// returns the number of mark rows.
func startRestored(t *testing.T, data string) int64 {
	t.Helper()
	rc := pgtest.Existing(t, data, map[string]string{"archive_mode": "off"})
	rc.Start(t)
	rc.WaitPromoted(t, time.Minute)
	n := rc.Int(t, "postgres", "SELECT count(*) FROM marks")
	rc.Stop(t)
	return n
}
