package files

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/archiver"
)

func TestBackupProgressCountsBytesOfFileInProgress(t *testing.T) {
	t.Parallel()
	// One 1000-byte file, 250 bytes read after 1s, scan done.
	p := backupProgress(archiver.Progress{
		Phase: "backup", Elapsed: time.Second, BytesRead: 250, BytesTotal: 1000, FilesTotal: 1, ScanDone: true,
	})
	if p.BytesDone != 250 || p.Rate != 250 || p.ETA != 3*time.Second || p.BytesTotal != 1000 || p.EntriesTotal != 1 {
		t.Fatalf("progress %+v", p)
	}
	// Before the scan is done, totals and ETA are unknown.
	p = backupProgress(archiver.Progress{Phase: "backup", Elapsed: time.Second, BytesRead: 10, BytesTotal: 10})
	if p.BytesTotal != 0 || p.ETA >= 0 {
		t.Fatalf("progress before scan end %+v", p)
	}
}
