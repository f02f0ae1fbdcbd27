package walsock_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/walsock"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
)

// saveSegments stores 1 MiB segments (the size PostgreSQL's --wal-segsize 1
// makes, 4096 per log ID) with the given numbers on timeline tl.
func saveSegments(t *testing.T, r *repo.Repository, tl uint32, segNos ...uint64) {
	t.Helper()
	for _, n := range segNos {
		name := repo.WALFileName(tl, n, 1<<20)
		f, err := repo.ParseLogFile("main", name)
		if err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 1<<20)
		copy(data, fmt.Sprintf("segment %s", name))
		if _, err := r.SaveLogSegment(context.Background(), f, data, repo.LogRange{}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildReport: ranges, counts and gaps per timeline, across a log ID
// boundary (segment FFF is followed by 1/000 at 1 MiB), and a promoted
// timeline followed from its history file, with the segments missing
// between its switch point and its first archived segment as a gap.
func TestBuildReport(t *testing.T) {
	tr := newRepo(t)
	saveSegments(t, tr.r, 1, 1, 2, 3, 5, 0xFFF, 0x1000)
	// Timeline 2 branched in segment 0x1000 (LSN 1/00000158 at 1 MiB per
	// segment, 4096 segments per log ID) but 0x1000 and 0x1001 on it are not
	// archived.
	f, _ := repo.ParseLogFile("main", "00000002.history")
	if _, err := tr.r.SaveLogSegment(context.Background(), f, []byte("1\t1/158\tpromoted\n"), repo.LogRange{}); err != nil {
		t.Fatal(err)
	}
	saveSegments(t, tr.r, 2, 0x1002, 0x1003)

	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rep, err := walsock.BuildReport(context.Background(), tr.r, "main", "file:///repo", now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetSegmentSize() != 1<<20 || rep.GetStream() != "main" || !rep.GetListedAt().AsTime().Equal(now) || len(rep.GetTimelines()) != 2 {
		t.Fatalf("report %v", rep)
	}
	tl1, tl2 := rep.GetTimelines()[0], rep.GetTimelines()[1]
	wantTimeline(t, tl1, 1, "000000010000000000000001", "000000010000000100000000", 6,
		[][2]string{{"000000010000000000000004", "000000010000000000000004"}, {"000000010000000000000006", "000000010000000000000FFE"}})
	if tl1.GetLastArchivedAt() == nil || time.Since(tl1.GetLastArchivedAt().AsTime()) > time.Minute {
		t.Fatalf("timeline 1 last archived at %v", tl1.GetLastArchivedAt())
	}
	wantTimeline(t, tl2, 2, "000000020000000100000002", "000000020000000100000003", 2,
		[][2]string{{"000000020000000100000000", "000000020000000100000001"}})
	if !tl2.GetHistory() || tl2.GetParentTimeline() != 1 || tl2.GetSwitchLsn() != "1/158" {
		t.Fatalf("timeline 2 history: %v", tl2)
	}
	if g := tl1.GetGaps()[1]; g.GetSegmentCount() != 0xFFE-6+1 {
		t.Fatalf("gap %v: %d segments", g, g.GetSegmentCount())
	}
}

func wantTimeline(t *testing.T, tl *cofferv1.WalTimeline, n uint32, first, last string, count int64, gaps [][2]string) {
	t.Helper()
	if tl.GetTimeline() != n || tl.GetFirstSegment() != first || tl.GetLastSegment() != last || tl.GetSegmentCount() != count {
		t.Fatalf("timeline %d: %v; want %s..%s, %d segments", n, tl, first, last, count)
	}
	if len(tl.GetGaps()) != len(gaps) {
		t.Fatalf("timeline %d gaps %v, want %v", n, tl.GetGaps(), gaps)
	}
	for i, g := range tl.GetGaps() {
		if g.GetFirstSegment() != gaps[i][0] || g.GetLastSegment() != gaps[i][1] {
			t.Fatalf("timeline %d gap %d: %v, want %v", n, i, g, gaps[i])
		}
	}
}

// TestReporterSendsAfterPushes: pushes make their stream due; a report
// that cannot be sent stays due and goes out with the next one.
func TestReporterSendsAfterPushes(t *testing.T) {
	tr := newRepo(t)
	saveSegments(t, tr.r, 1, 1, 2)
	up := false
	var sent []*cofferv1.WalArchiveReport
	rp := walsock.NewReporter(walsock.ReporterOptions{Send: func(m *cofferv1.ConnectRequest) bool {
		if up {
			sent = append(sent, m.GetWalArchive())
		}
		return up
	}})
	rp.Pushed(walsock.Target{Key: "k", Location: "file:///r", Repo: tr.r, Stream: "main"})
	rp.ReportDirty(context.Background()) // channel down: kept
	up = true
	rp.ReportDirty(context.Background())
	if len(sent) != 1 || sent[0].GetTimelines()[0].GetSegmentCount() != 2 {
		t.Fatalf("sent %v", sent)
	}
	rp.ReportDirty(context.Background())
	if len(sent) != 1 {
		t.Fatalf("reported again without a push: %d reports", len(sent))
	}
}
