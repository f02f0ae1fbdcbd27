package runner_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/local"
	"github.com/cofferhq/coffer/internal/treetest"
)

func TestBackupThenRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 40, BigFiles: 2, BigSize: 3 << 20, Depth: 4, Seed: 1})
	os.WriteFile(filepath.Join(src, "junk.skip"), []byte("excluded"), 0o644)

	ba := backupAssignment("job-b", 1, filesSpec(t, src), h.repo.Spec())
	ba.GetBackup().Tags = map[string]string{"backup": "b-1", "type": "full"}
	h.r.Assign(ba)
	h.expect(5*time.Second, "accepted", agenttest.IsAccepted("job-b"))
	res := h.result("job-b", 60*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("backup outcome %s: %v", res.GetOutcome(), res.GetError())
	}
	b := res.GetBackup()
	if len(b.GetSnapshotId()) != 64 || b.GetSizeBytes() < 6<<20 || b.GetEntryCount() != res.GetProgress().GetEntriesDone() {
		t.Fatalf("backup result %v", b)
	}
	if got := b.GetMetadata().GetFields()["tool"].GetStringValue(); got != "coffer-files" {
		t.Fatalf("metadata tool %q", got)
	}
	if res.GetProgress().GetBytesDone() != b.GetSizeBytes() {
		t.Fatalf("final progress %d bytes, result %d", res.GetProgress().GetBytesDone(), b.GetSizeBytes())
	}
	sn := loadSnapshot(t, h.repo, b.GetSnapshotId())
	if sn.Source != "docs" || sn.Kind != "files" || !slices.Equal(sn.Tags, []string{"backup=b-1", "type=full"}) || sn.Hostname != "test-host" {
		t.Fatalf("snapshot source %q kind %q tags %v host %q", sn.Source, sn.Kind, sn.Tags, sn.Hostname)
	}

	target := filepath.Join(t.TempDir(), "restore")
	h.r.Assign(restoreAssignment("job-r", b.GetSnapshotId(), target, false, h.repo.Spec()))
	rres := h.result("job-r", 60*time.Second)
	if rres.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("restore outcome %s: %v", rres.GetOutcome(), rres.GetError())
	}
	if _, err := os.Stat(filepath.Join(target, src, "junk.skip")); !os.IsNotExist(err) {
		t.Fatalf("excluded file was backed up: %v", err)
	}
	os.Remove(filepath.Join(src, "junk.skip"))
	treetest.Compare(t, src, filepath.Join(target, src))
	steps := rres.GetRestore().GetSteps()
	if len(steps) != 2 || steps[1].GetStatus() != "completed" {
		t.Fatalf("restore steps %v", steps)
	}

	// A second restore into the same place must refuse to overwrite...
	h.r.Assign(restoreAssignment("job-r2", b.GetSnapshotId(), target, false, h.repo.Spec()))
	r2 := h.result("job-r2", 30*time.Second)
	if r2.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_FAILED || r2.GetError().GetCode() != runner.CodeTargetExists || r2.GetError().GetRetryable() {
		t.Fatalf("restore over existing files: %s %v", r2.GetOutcome(), r2.GetError())
	}
	if st := r2.GetRestore().GetSteps(); len(st) != 2 || st[0].GetStatus() != "completed" || st[1].GetStatus() != "failed" {
		t.Fatalf("failed restore steps %v, want the restore step failed", st)
	}
	// ...unless asked to.
	h.r.Assign(restoreAssignment("job-r3", b.GetSnapshotId(), target, true, h.repo.Spec()))
	if r3 := h.result("job-r3", 60*time.Second); r3.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("restore with overwriteExisting: %s %v", r3.GetOutcome(), r3.GetError())
	}
	treetest.Compare(t, src, filepath.Join(target, src))
}

func TestIncrementalBackupUsesParent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 20, BigFiles: 1, BigSize: 2 << 20, Seed: 2})
	h.r.Assign(backupAssignment("full", 1, filesSpec(t, src), h.repo.Spec()))
	first := h.result("full", 60*time.Second)
	if first.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("full: %v", first.GetError())
	}
	os.WriteFile(filepath.Join(src, "new.txt"), []byte("new file"), 0o644)
	a := backupAssignment("incr", 1, filesSpec(t, src), h.repo.Spec())
	a.GetBackup().Type = "incremental"
	a.GetBackup().ParentSnapshotId = first.GetBackup().GetSnapshotId()
	h.r.Assign(a)
	res := h.result("incr", 60*time.Second)
	if res.GetOutcome() != cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED {
		t.Fatalf("incremental: %v", res.GetError())
	}
	meta := res.GetBackup().GetMetadata().GetFields()
	if meta["parentSnapshotId"].GetStringValue() != first.GetBackup().GetSnapshotId() {
		t.Fatalf("parent not recorded: %v", meta["parentSnapshotId"])
	}
	sum := meta["summary"].GetStructValue().GetFields()
	if sum["filesNew"].GetNumberValue() != 1 || sum["bytesRead"].GetNumberValue() != float64(len("new file")) {
		t.Fatalf("incremental read more than the change: %v", sum)
	}
}

func loadSnapshot(t *testing.T, r *agenttest.Repo, id string) *repo.Snapshot {
	t.Helper()
	be, err := local.New(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := runner.KeyFileKEK(r.Key)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := repo.Open(context.Background(), be, kek)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := repo.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := rp.LoadSnapshot(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}
