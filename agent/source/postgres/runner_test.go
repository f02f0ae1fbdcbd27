package postgres_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/source/postgres"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/pgtest"
)

func spec(t testing.TB, cfg map[string]any, secrets map[string]string) *cofferv1.SourceSpec {
	t.Helper()
	st, err := structpb.NewStruct(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &cofferv1.SourceSpec{Name: "main", Type: postgres.Type, Config: st, Secrets: secrets}
}

func TestParseConfigErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"method": "physical"}, "dataDir is required"},
		{map[string]any{"dataDir": "relative"}, "dataDir"},
		{map[string]any{"method": "copy"}, "method"},
		{map[string]any{"method": "logical", "port": 70000.0}, "port"},
		{map[string]any{"method": "logical", "password": "x"}, `unknown field "password"`},
		{map[string]any{"method": "logical", "pageChunkSize": 1000.0}, "pageChunkSize"},
	} {
		_, err := postgres.ParseConfig(spec(t, tc.cfg, nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %v: err = %v, want it to name %q", tc.cfg, err, tc.want)
		}
	}
	cfg, err := postgres.ParseConfig(spec(t, map[string]any{"dataDir": "/var/lib/postgresql/15/main"}, nil))
	if err != nil || cfg.Port != 5432 || cfg.User != "postgres" || cfg.Method != "physical" || cfg.PageChunkSize != 1<<20 {
		t.Fatalf("defaults %+v, %v", cfg, err)
	}
}

// TestSecretsNeverPrinted: the password from the source's secrets does
// not appear in the source's description or errors.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	src, err := postgres.NewSource(postgres.Config{Name: "main", Method: "logical", Host: "127.0.0.1", Port: 1}, "s3cr3t-pw")
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Check(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") || strings.Contains(src.String(), "s3cr3t-pw") {
		t.Fatalf("error %v / %s shows the password (or the connection worked)", err, src)
	}
}

// FuzzParseConfig: source configs arrive over the network.
func FuzzParseConfig(f *testing.F) {
	f.Add(`{"dataDir": "/srv/pg", "port": 5433}`)
	f.Add(`{"method": "logical", "databases": ["a", "b"], "jobs": 4}`)
	f.Add(`{"archive": {"repo": "/r", "keyFile": "/k"}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		var m map[string]any
		if json.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		st, err := structpb.NewStruct(m)
		if err != nil {
			return
		}
		cfg, err := postgres.ParseConfig(&cofferv1.SourceSpec{Name: "main", Config: st})
		if err != nil {
			return
		}
		if cfg.Method == "physical" && !filepath.IsAbs(cfg.DataDir) {
			t.Fatalf("accepted relative dataDir %q", cfg.DataDir)
		}
	})
}

// TestRunnerDriverBackupAndRestoreTest drives the runner.Source the agent
// uses: a full and an incremental backup, then a validateOnly restore.
func TestRunnerDriverBackupAndRestoreTest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, postgres.MethodPhysical, nil)
	f.c.Exec(t, "postgres", "CREATE TABLE t AS SELECT generate_series(1, 100) AS id")
	src, err := postgres.New(spec(t, map[string]any{
		"host": "127.0.0.1", "port": float64(f.c.Port), "dataDir": f.c.DataDir, "binDir": f.c.BinDir,
		"archive": map[string]any{"coffer": pgtest.CofferBinary(t), "repo": f.rp.Dir, "keyFile": f.rp.KeyFile},
	}, nil))
	if err != nil {
		t.Fatal(err)
	}
	var phases []runner.Progress
	job := &runner.BackupJob{Repo: f.r, Type: "full", Hostname: "h", Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Progress: func(p runner.Progress) { phases = append(phases, p) }}
	out, err := src.Backup(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if out.Metadata["method"] != "physical" || out.Metadata["stopLsn"] == nil || len(phases) == 0 {
		t.Fatalf("backup output %+v", out.Metadata)
	}
	job.Type, job.Parent, job.ParentID = "incremental", out.Snapshot, &out.SnapshotID
	incr, err := src.Backup(context.Background(), job)
	if err != nil || incr.Metadata["type"] != "incremental" {
		t.Fatalf("incremental: %v %v", err, incr)
	}
	var steps []string
	res, err := src.Restore(context.Background(), &runner.RestoreJob{
		Repo: f.r, SnapshotID: incr.SnapshotID, Snapshot: incr.Snapshot, ValidateOnly: true, Now: time.Now,
		Progress: func(runner.Progress) {}, Step: func(name, status, _ string) { steps = append(steps, name+":"+status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.RecoveredTo == nil && !strings.Contains(strings.Join(steps, ","), "wal replay:completed") {
		t.Fatalf("steps %v", steps)
	}
	for _, want := range []string{"validation:completed", "extraction:completed", "restoration:completed", "wal replay:completed"} {
		if !strings.Contains(strings.Join(steps, ","), want) {
			t.Errorf("steps %v lack %s", steps, want)
		}
	}
}
