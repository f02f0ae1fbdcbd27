package walsock

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
)

// BuildReport lists stream's archive in r and summarises it per timeline:
// first and last segment, count, gaps (missing ranges between them, and at
// the start of a timeline whose history file says where it branched off),
// the parent timeline and when the newest segment was archived.
func BuildReport(ctx context.Context, r *repo.Repository, stream, location string, now time.Time) (*cofferv1.WalArchiveReport, error) {
	a, err := r.ListLogSegments(ctx, stream)
	if err != nil {
		return nil, err
	}
	rep := &cofferv1.WalArchiveReport{Stream: stream, Repository: location, SegmentSize: a.SegmentSize, ListedAt: timestamppb.New(now)}
	for i := range a.Timelines {
		t := &a.Timelines[i]
		wt, err := timelineReport(ctx, r, a, t)
		if err != nil {
			return nil, err
		}
		rep.Timelines = append(rep.Timelines, wt)
	}
	return rep, nil
}

func timelineReport(ctx context.Context, r *repo.Repository, a *repo.LogArchive, t *repo.LogTimeline) (*cofferv1.WalTimeline, error) {
	wt := &cofferv1.WalTimeline{Timeline: t.Timeline, History: t.History}
	if t.History {
		parent, switchLSN, err := readHistory(ctx, r, a.Stream, t.Timeline)
		if err != nil {
			return nil, err
		}
		wt.ParentTimeline = parent
		if parent != 0 {
			wt.SwitchLsn = switchLSN.String()
		}
		// The timeline begins in the segment holding the switch point:
		// segments missing before the first archived one are a gap too.
		if n := len(t.Runs); n > 0 && parent != 0 {
			if start := uint64(switchLSN) / a.SegmentSize; start < t.Runs[0].First {
				wt.Gaps = append(wt.Gaps, gapOf(a, t.Timeline, repo.LogRun{First: start, Last: t.Runs[0].First - 1}))
			}
		}
	}
	if len(t.Runs) == 0 {
		return wt, nil
	}
	first, last := t.Runs[0].First, t.Runs[len(t.Runs)-1].Last
	wt.FirstSegment, wt.LastSegment = a.SegmentName(t.Timeline, first), a.SegmentName(t.Timeline, last)
	for _, run := range t.Runs {
		wt.SegmentCount += int64(run.Last - run.First + 1)
	}
	for _, g := range t.Gaps() {
		wt.Gaps = append(wt.Gaps, gapOf(a, t.Timeline, g))
	}
	lastFile, err := repo.ParseLogFile(a.Stream, wt.LastSegment)
	if err != nil {
		return nil, err
	}
	info, err := r.StatLogSegment(ctx, lastFile)
	if err == nil {
		wt.LastArchivedAt = timestamppb.New(info.Archived)
	} else if !repo.IsCorruption(err) { // damage is verify's business; the range still stands
		return nil, fmt.Errorf("stat %s: %w", lastFile.Object(), err)
	}
	return wt, nil
}

func gapOf(a *repo.LogArchive, tl uint32, g repo.LogRun) *cofferv1.WalGap {
	return &cofferv1.WalGap{
		FirstSegment: a.SegmentName(tl, g.First), LastSegment: a.SegmentName(tl, g.Last),
		SegmentCount: int64(g.Last - g.First + 1),
	}
}

// readHistory returns the timeline's parent and switch point from its
// history file (the last line names the direct parent).
func readHistory(ctx context.Context, r *repo.Repository, stream string, tl uint32) (uint32, pgwal.LSN, error) {
	f, err := repo.ParseLogFile(stream, fmt.Sprintf("%08X.history", tl))
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	if _, err := r.LoadLogSegment(ctx, f, &buf); err != nil {
		if repo.IsCorruption(err) {
			return 0, 0, nil
		}
		return 0, 0, fmt.Errorf("read %s: %w", f.Object(), err)
	}
	h, err := pgwal.ParseHistory(buf.Bytes())
	if err != nil || len(h) == 0 {
		return 0, 0, nil // an unreadable history leaves the parent unknown
	}
	last := h[len(h)-1]
	return last.Parent, last.SwitchLSN, nil
}
