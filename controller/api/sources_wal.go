package api

import (
	"context"
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// GetSourceWalArchive returns the source's archived WAL per timeline as
// its agent last reported it; an empty answer (no reported_at) when none
// has reported yet.
func (s *Sources) GetSourceWalArchive(ctx context.Context, req *cofferv1.GetSourceWalArchiveRequest) (*cofferv1.GetSourceWalArchiveResponse, error) {
	src, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	a, err := s.d.Store.GetWALArchive(ctx, src.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return &cofferv1.GetSourceWalArchiveResponse{SourceId: src.ID}, nil
	}
	if err != nil {
		return nil, err
	}
	return walArchiveProto(a), nil
}

func walArchiveProto(a catalog.WALArchive) *cofferv1.GetSourceWalArchiveResponse {
	out := &cofferv1.GetSourceWalArchiveResponse{
		SourceId: a.SourceID, AgentId: a.AgentID, Repository: a.Repository, SegmentSize: a.SegmentSize,
		ReportedAt: timestamppb.New(a.ReportedAt), GapCount: int32(a.GapCount()),
	}
	for _, t := range a.Timelines {
		wt := &cofferv1.WalTimeline{
			Timeline: t.Timeline, FirstSegment: t.FirstSegment, LastSegment: t.LastSegment, SegmentCount: t.SegmentCount,
			History: t.History, ParentTimeline: t.ParentTimeline, SwitchLsn: t.SwitchLSN,
		}
		if !t.LastArchivedAt.IsZero() {
			wt.LastArchivedAt = timestamppb.New(t.LastArchivedAt)
		}
		for _, g := range t.Gaps {
			wt.Gaps = append(wt.Gaps, &cofferv1.WalGap{FirstSegment: g.FirstSegment, LastSegment: g.LastSegment, SegmentCount: g.SegmentCount})
		}
		out.Timelines = append(out.Timelines, wt)
	}
	return out
}
