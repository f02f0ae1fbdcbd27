package runner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/storage/faulty"
)

func isStorageTest(id string) func(*cofferv1.ConnectRequest) bool {
	return func(m *cofferv1.ConnectRequest) bool { return m.GetStorageTestResult().GetRequestId() == id }
}

func storageTest(h *harness, id, url string) []*cofferv1.StorageTestStep {
	h.t.Helper()
	h.r.TestStorage(&cofferv1.StorageTestRequest{RequestId: id, Repository: &cofferv1.RepositorySpec{StorageLocationId: "loc-1", Url: url}})
	return h.expect(10*time.Second, "storage test result "+id, isStorageTest(id)).GetStorageTestResult().GetSteps()
}

func stepNames(steps []*cofferv1.StorageTestStep) string {
	var out []string
	for _, s := range steps {
		r := "ok"
		if !s.GetOk() {
			r = "failed: " + s.GetError()
		}
		out = append(out, s.GetName()+" "+r)
	}
	return strings.Join(out, "; ")
}

func TestStorageTestPassesAndLeavesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	steps := storageTest(h, "req-1", "file://"+h.repo.Dir)
	if got, want := stepNames(steps), "write ok; list ok; read ok; delete ok"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	left, _ := os.ReadDir(filepath.Join(h.repo.Dir, "coffer-test"))
	if len(left) != 0 {
		t.Fatalf("test objects left behind: %v", left)
	}
}

func TestStorageTestWriteFailsWhereADirectoryIsAFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := storageTest(h, "req-2", "file://"+file)
	if len(steps) != 1 || steps[0].GetName() != runner.StepWrite || steps[0].GetOk() {
		t.Fatalf("want only a failed write step, got %s", stepNames(steps))
	}
	t.Logf("write error: %s", steps[0].GetError())
	if !strings.Contains(steps[0].GetError(), file) {
		t.Fatalf("write error %q does not name %s", steps[0].GetError(), file)
	}
}

// A listing that fails stops the test there; the object written stays
// under coffer-test/ (nothing else is touched).
func TestStorageTestStopsAtTheFailedStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withFaults(faulty.Rule{Op: faulty.OpList, Prefix: runner.StorageTestPrefix}))
	steps := storageTest(h, "req-3", h.repo.Dir)
	if got := stepNames(steps); !strings.HasPrefix(got, "write ok; list failed: list coffer-test/") || len(steps) != 2 {
		t.Fatalf("steps %q, want write ok then a failed list", got)
	}
}

// A location the first backup may initialise (option init) passes even
// before its directory exists, as the backup would create it.
func TestStorageTestCreatesTheDirectoryOnlyForInitLocations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := filepath.Join(t.TempDir(), "new-repo")
	h.r.TestStorage(&cofferv1.StorageTestRequest{RequestId: "plain", Repository: &cofferv1.RepositorySpec{Url: dir}})
	steps := h.expect(10*time.Second, "storage test result", isStorageTest("plain")).GetStorageTestResult().GetSteps()
	if len(steps) != 1 || steps[0].GetOk() || !strings.Contains(steps[0].GetError(), dir) {
		t.Fatalf("missing directory without init: %s", stepNames(steps))
	}
	h.r.TestStorage(&cofferv1.StorageTestRequest{RequestId: "init", Repository: &cofferv1.RepositorySpec{
		Url: dir, Options: map[string]string{runner.OptionInit: "true"},
	}})
	steps = h.expect(10*time.Second, "storage test result", isStorageTest("init")).GetStorageTestResult().GetSteps()
	if got, want := stepNames(steps), "write ok; list ok; read ok; delete ok"; got != want {
		t.Fatalf("init location: steps %q, want %q", got, want)
	}
}
