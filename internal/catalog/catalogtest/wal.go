package catalogtest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// testWALArchive: a report round-trips per timeline (gaps, history,
// times), the next report replaces it and hands back the previous one,
// an unknown source is refused, and deleting the source deletes it.
func testWALArchive(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	src := must2(s.CreateSource(ctx, catalog.Source{Name: "pg-wal", Type: catalog.SourcePostgres, AgentID: "agent-1"}))(t)
	_, err := s.GetWALArchive(ctx, src.ID)
	wantErr(t, err, catalog.ErrNotFound)

	archived := time.Date(2026, 3, 4, 5, 6, 7, 891234000, time.UTC)
	first := catalog.WALArchive{
		SourceID: src.ID, AgentID: "agent-1", Repository: "s3://bucket/coffer", SegmentSize: 16 << 20,
		Timelines: []catalog.WALTimeline{{
			Timeline: 1, FirstSegment: "000000010000000000000001", LastSegment: "000000010000000100000002",
			SegmentCount: 256, LastArchivedAt: archived,
			Gaps: []catalog.WALGap{{FirstSegment: "0000000100000000000000FF", LastSegment: "000000010000000100000000", SegmentCount: 2}},
		}, {
			Timeline: 2, History: true, ParentTimeline: 1, SwitchLSN: "1/2000158",
		}},
	}
	stored, _, had, err := s.PutWALArchive(ctx, first)
	noErr(t, err)
	eq(t, "previous report on first put", had, false)
	if stored.ReportedAt.IsZero() {
		t.Fatal("ReportedAt not set")
	}
	want := first
	want.ReportedAt = stored.ReportedAt
	want.Timelines[1].Gaps = []catalog.WALGap{} // stored as an empty list
	deq(t, "stored report", stored, want)
	deq(t, "read back", must(s.GetWALArchive(ctx, src.ID))(t), want)
	eq(t, "gap count", stored.GapCount(), 1)

	second := catalog.WALArchive{SourceID: src.ID, AgentID: "agent-1", Repository: "s3://bucket/coffer", SegmentSize: 16 << 20,
		Timelines: []catalog.WALTimeline{{Timeline: 1, FirstSegment: "000000010000000000000001", LastSegment: "000000010000000100000003", SegmentCount: 259}}}
	stored2, prev, had, err := s.PutWALArchive(ctx, second)
	noErr(t, err)
	eq(t, "previous report on replace", had, true)
	deq(t, "previous report", prev, want)
	eq(t, "timelines after replace", len(stored2.Timelines), 1)
	eq(t, "gaps after replace", stored2.GapCount(), 0)
	eq(t, "last segment after replace", stored2.Timelines[0].LastSegment, "000000010000000100000003")

	_, _, _, err = s.PutWALArchive(ctx, catalog.WALArchive{SourceID: "no-such-source", AgentID: "agent-1"})
	wantErr(t, err, catalog.ErrNotFound)

	noErr(t, s.DeleteSource(ctx, src.ID))
	_, err = s.GetWALArchive(ctx, src.ID)
	wantErr(t, err, catalog.ErrNotFound)
}
