package sqlstore

import (
	"context"
	"errors"

	"github.com/cofferhq/coffer/internal/catalog"
)

const walTimelineCols = `timeline, first_segment, last_segment, segment_count, gaps, history,
	parent_timeline, switch_lsn, last_archived_at`

func scanWALTimeline(r rowScanner) (catalog.WALTimeline, error) {
	var v catalog.WALTimeline
	var tl, parent int64
	err := r.Scan(&tl, &v.FirstSegment, &v.LastSegment, &v.SegmentCount, jsonCol{&v.Gaps}, &v.History,
		&parent, &v.SwitchLSN, timeCol{&v.LastArchivedAt})
	v.Timeline, v.ParentTimeline = uint32(tl), uint32(parent)
	return v, err
}

// PutWALArchive replaces the source's report and returns the previous one.
func (s *Store) PutWALArchive(ctx context.Context, a catalog.WALArchive) (stored, prev catalog.WALArchive, ok bool, err error) {
	now, err := s.Now(ctx)
	if err != nil {
		return stored, prev, false, err
	}
	a.ReportedAt = now
	err = s.inTx(ctx, func(c conn) error {
		var one int
		if err := c.row(ctx, `SELECT 1 FROM sources WHERE id = ?`, a.SourceID).Scan(&one); err != nil {
			return s.fail("wal archive of source "+a.SourceID, err)
		}
		p, err := s.getWALArchive(ctx, c, a.SourceID)
		switch {
		case err == nil:
			prev, ok = p, true
		case !errors.Is(err, catalog.ErrNotFound):
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM wal_timelines WHERE source_id = ?`, a.SourceID); err != nil {
			return s.fail("replace wal archive", err)
		}
		if _, err := c.exec(ctx, `DELETE FROM wal_archives WHERE source_id = ?`, a.SourceID); err != nil {
			return s.fail("replace wal archive", err)
		}
		if _, err := c.exec(ctx, `INSERT INTO wal_archives (source_id, agent_id, repository, segment_size, reported_at) VALUES (?, ?, ?, ?, ?)`,
			a.SourceID, a.AgentID, a.Repository, int64(a.SegmentSize), s.t(now)); err != nil {
			return s.fail("store wal archive", err)
		}
		for _, t := range a.Timelines {
			if _, err := c.exec(ctx, `INSERT INTO wal_timelines (source_id, `+walTimelineCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.SourceID, int64(t.Timeline), t.FirstSegment, t.LastSegment, t.SegmentCount, mustJSON(orNoGaps(t.Gaps)),
				t.History, int64(t.ParentTimeline), t.SwitchLSN, s.t(t.LastArchivedAt)); err != nil {
				return s.fail("store wal timeline", err)
			}
		}
		stored, err = s.getWALArchive(ctx, c, a.SourceID)
		return err
	})
	return stored, prev, ok, err
}

// GetWALArchive returns the source's last report.
func (s *Store) GetWALArchive(ctx context.Context, sourceID string) (catalog.WALArchive, error) {
	return s.getWALArchive(ctx, s.c(), sourceID)
}

func (s *Store) getWALArchive(ctx context.Context, c conn, sourceID string) (catalog.WALArchive, error) {
	a := catalog.WALArchive{SourceID: sourceID}
	var size int64
	err := c.row(ctx, `SELECT agent_id, repository, segment_size, reported_at FROM wal_archives WHERE source_id = ?`, sourceID).
		Scan(&a.AgentID, &a.Repository, &size, timeCol{&a.ReportedAt})
	if err != nil {
		return a, s.fail("wal archive of source "+sourceID, err)
	}
	a.SegmentSize = uint64(size)
	a.Timelines, err = queryAll(ctx, s, c, "wal timelines",
		`SELECT `+walTimelineCols+` FROM wal_timelines WHERE source_id = ? ORDER BY timeline`, []any{sourceID}, scanWALTimeline)
	return a, err
}

func orNoGaps(g []catalog.WALGap) []catalog.WALGap {
	if g == nil {
		return []catalog.WALGap{}
	}
	return g
}
