package dispatch

import (
	"context"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// newWALGapsGauge registers coffer_wal_archive_gaps on reg (or reuses the
// one registered already).
func newWALGapsGauge(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "coffer_wal_archive_gaps",
		Help: "Missing WAL segment ranges in a source's archive, as its agent last reported them. Point-in-time recovery cannot replay across a gap.",
	}, []string{"source"})
	if reg == nil {
		return g
	}
	if err := reg.Register(g); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
				return existing
			}
		}
	}
	return g
}

// walArchive stores an agent's WAL archive report for the source named by
// its stream, and reports gaps that were not there before: a WARN log and
// an audit entry each time, and the gauge always. Reports about unknown
// sources, or sources another agent owns, are ignored.
func (s *session) walArchive(ctx context.Context, r *cofferv1.WalArchiveReport) {
	d := s.d
	src, err := d.store.GetSourceByName(ctx, r.GetStream())
	if errors.Is(err, catalog.ErrNotFound) {
		d.log.Debug("wal archive report for a stream that names no source ignored", "agent", s.agentID, "stream", r.GetStream())
		return
	}
	if err != nil {
		d.log.Warn("wal archive report not stored", "agent", s.agentID, "stream", r.GetStream(), "err", err)
		return
	}
	if src.AgentID != s.agentID {
		d.log.Warn("wal archive report for another agent's source ignored", "agent", s.agentID, "source", src.Name, "owner", src.AgentID)
		return
	}
	stored, prev, had, err := d.store.PutWALArchive(ctx, CatalogWALArchive(src.ID, s.agentID, r))
	if err != nil {
		d.log.Warn("wal archive report not stored", "agent", s.agentID, "source", src.Name, "err", err)
		return
	}
	d.walGaps.WithLabelValues(src.Name).Set(float64(stored.GapCount()))
	fresh := newGaps(prev, stored)
	details := make([]map[string]any, 0, len(fresh))
	for _, g := range fresh {
		d.log.Warn("WAL archive gap: segments are missing, point-in-time recovery cannot replay across them",
			"source", src.Name, "timeline", g.timeline, "first", g.FirstSegment, "last", g.LastSegment,
			"segments", g.SegmentCount, "repository", stored.Repository)
		details = append(details, map[string]any{"timeline": g.timeline, "first": g.FirstSegment, "last": g.LastSegment, "segments": g.SegmentCount})
	}
	if len(fresh) > 0 {
		d.record(ctx, "agent:"+s.agentID, "wal.gap_found", "source/"+src.ID,
			map[string]any{"source": src.Name, "repository": stored.Repository, "gaps": details})
	}
	if had && prev.GapCount() > 0 && stored.GapCount() == 0 {
		d.log.Info("WAL archive has no gaps any more", "source", src.Name)
		d.record(ctx, "agent:"+s.agentID, "wal.gaps_closed", "source/"+src.ID, map[string]any{"source": src.Name})
	}
}

type timelineGap struct {
	timeline uint32
	catalog.WALGap
}

// newGaps returns the gaps of cur that prev did not have.
func newGaps(prev, cur catalog.WALArchive) []timelineGap {
	known := map[string]bool{}
	key := func(tl uint32, g catalog.WALGap) string {
		return fmt.Sprintf("%d/%s/%s", tl, g.FirstSegment, g.LastSegment)
	}
	for _, t := range prev.Timelines {
		for _, g := range t.Gaps {
			known[key(t.Timeline, g)] = true
		}
	}
	var out []timelineGap
	for _, t := range cur.Timelines {
		for _, g := range t.Gaps {
			if !known[key(t.Timeline, g)] {
				out = append(out, timelineGap{timeline: t.Timeline, WALGap: g})
			}
		}
	}
	return out
}

// CatalogWALArchive converts a report to the catalog's form.
func CatalogWALArchive(sourceID, agentID string, r *cofferv1.WalArchiveReport) catalog.WALArchive {
	a := catalog.WALArchive{SourceID: sourceID, AgentID: agentID, Repository: r.GetRepository(), SegmentSize: r.GetSegmentSize()}
	for _, t := range r.GetTimelines() {
		ct := catalog.WALTimeline{
			Timeline: t.GetTimeline(), FirstSegment: t.GetFirstSegment(), LastSegment: t.GetLastSegment(),
			SegmentCount: t.GetSegmentCount(), History: t.GetHistory(), ParentTimeline: t.GetParentTimeline(),
			SwitchLSN: t.GetSwitchLsn(),
		}
		if t.GetLastArchivedAt() != nil {
			ct.LastArchivedAt = t.GetLastArchivedAt().AsTime()
		}
		for _, g := range t.GetGaps() {
			ct.Gaps = append(ct.Gaps, catalog.WALGap{FirstSegment: g.GetFirstSegment(), LastSegment: g.GetLastSegment(), SegmentCount: g.GetSegmentCount()})
		}
		a.Timelines = append(a.Timelines, ct)
	}
	return a
}
