package local_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage/local"
)

func TestCleanTempRemovesOnlyOldTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var offset atomic.Int64
	now := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	be, err := local.New(dir, local.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	if err := be.Save(t.Context(), "data/ab/obj", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	oldTemp := filepath.Join(dir, "data", "ab", local.TempPrefix+"old")
	newTemp := filepath.Join(dir, local.TempPrefix+"new")
	for path, mtime := range map[string]time.Time{oldTemp: start.Add(-2 * time.Hour), newTemp: start.Add(-time.Minute)} {
		if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	n, err := be.CleanTemp(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(oldTemp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old temp file still there: %v", err)
	}
	if _, err := os.Stat(newTemp); err != nil {
		t.Errorf("recent temp file removed: %v", err)
	}
	if _, err := be.Stat(t.Context(), "data/ab/obj"); err != nil {
		t.Errorf("object disturbed: %v", err)
	}
	// Two hours later the recent one is old too.
	offset.Store(int64(2 * time.Hour))
	if n, err := be.CleanTemp(t.Context(), time.Hour); err != nil || n != 1 {
		t.Errorf("second CleanTemp = %d, %v; want 1 removed", n, err)
	}
}
