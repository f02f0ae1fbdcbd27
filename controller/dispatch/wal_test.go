package dispatch_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	"github.com/cofferhq/coffer/controller/server"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

type walView struct {
	SourceID, AgentID, Repository, ReportedAt string
	GapCount                                  int
	Timelines                                 []struct {
		Timeline                             int
		FirstSegment, LastSegment, SwitchLsn string
		SegmentCount                         string // int64 is a JSON string
		ParentTimeline                       int
		History                              bool
		Gaps                                 []struct{ FirstSegment, LastSegment string }
	}
}

// TestWALArchiveReportedAndServed, on both catalogs: an agent's report
// (built from real archives in the walsock and cli tests) is stored, served by GET /api/sources/{id}/wal, and a
// new gap is a WARN log, an audit entry and the coffer_wal_archive_gaps
// gauge; a later report without the gap clears the gauge.
func TestWALArchiveReportedAndServed(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var edit []func(*server.Config)
			if engine == "postgres" {
				dsn := ct.PostgresCatalog(t)
				edit = append(edit, func(c *server.Config) { c.Catalog.DSN = dsn })
			}
			testWALArchiveReport(t, newWorld(t, edit...))
		})
	}
}

func testWALArchiveReport(t *testing.T, w world) {
	w.c.MustDo(t, "POST", "/api/sources", map[string]any{"name": "main", "type": "postgres", "config": map[string]any{"host": "127.0.0.1", "method": "logical"}})
	var empty walView
	w.c.MustDo(t, "GET", "/api/sources/main/wal", nil).Decode(t, &empty)
	if empty.SourceID == "" || empty.ReportedAt != "" || len(empty.Timelines) != 0 {
		t.Fatalf("before any report: %+v", empty)
	}

	// Segments 1-3 and 5 on timeline 1: 4 is missing.
	dir := "s3://backups/prod"
	segs := []string{"000000010000000000000001", "000000010000000000000005"}
	gaps := []*cofferv1.WalGap{{FirstSegment: "000000010000000000000004", LastSegment: "000000010000000000000004", SegmentCount: 1}}
	count := int64(4)
	ch := w.c.Open(t, w.tls, nil)
	ch.Expect(wait) // welcome
	report := func() {
		ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_WalArchive{WalArchive: &cofferv1.WalArchiveReport{
			Stream: "main", Repository: dir, SegmentSize: 16 << 20, ListedAt: timestamppb.Now(),
			Timelines: []*cofferv1.WalTimeline{{
				Timeline: 1, FirstSegment: segs[0], LastSegment: segs[1], SegmentCount: count, Gaps: gaps,
				LastArchivedAt: timestamppb.Now(),
			}},
		}}})
	}
	report()
	var got walView
	ct.Poll(t, wait, "the WAL report to be stored", func() bool {
		w.c.MustDo(t, "GET", "/api/sources/main/wal", nil).Decode(t, &got)
		return got.ReportedAt != ""
	})
	if got.AgentID != w.agentID || got.Repository != dir || got.GapCount != 1 || len(got.Timelines) != 1 {
		t.Fatalf("report %+v", got)
	}
	tl := got.Timelines[0]
	if tl.FirstSegment != "000000010000000000000001" || tl.LastSegment != "000000010000000000000005" || tl.SegmentCount != "4" ||
		len(tl.Gaps) != 1 || tl.Gaps[0].FirstSegment != "000000010000000000000004" || tl.Gaps[0].LastSegment != "000000010000000000000004" {
		t.Fatalf("timeline %+v", tl)
	}
	if !strings.Contains(w.c.Logs(), "WAL archive gap") || !strings.Contains(w.c.Logs(), "000000010000000000000004") {
		t.Fatal("no warning about the new gap in the controller log")
	}
	if m := metrics(t, w.c); !strings.Contains(m, `coffer_wal_archive_gaps{source="main"} 1`) {
		t.Fatalf("gauge not 1:\n%s", m)
	}
	if n := auditCount(t, w.c, "wal.gap_found"); n != 1 {
		t.Fatalf("%d wal.gap_found audit entries, want 1", n)
	}

	// The same gap again is not news; filling it clears the gauge.
	report()
	gaps, count = nil, 5 // the missing segment was pushed
	report()
	ct.Poll(t, wait, "the gap to close", func() bool {
		w.c.MustDo(t, "GET", "/api/sources/main/wal", nil).Decode(t, &got)
		return got.GapCount == 0
	})
	if n := auditCount(t, w.c, "wal.gap_found"); n != 1 {
		t.Fatalf("%d wal.gap_found audit entries after a repeated report, want 1", n)
	}
	if m := metrics(t, w.c); !strings.Contains(m, `coffer_wal_archive_gaps{source="main"} 0`) {
		t.Fatalf("gauge not 0 after the gap closed:\n%s", m)
	}
}

func metrics(t *testing.T, c *ct.Controller) string {
	t.Helper()
	res, err := http.Get(c.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func auditCount(t *testing.T, c *ct.Controller, action string) int {
	t.Helper()
	entries, err := c.S.Store.ListAudit(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == action {
			n++
		}
	}
	return n
}
