package catalog

import (
	"context"
	"time"
)

// WALArchive is what a source's WAL archive holds, per timeline, as its
// agent last reported it. Each report replaces the previous one.
type WALArchive struct {
	SourceID string
	// AgentID sent the report.
	AgentID string
	// Repository is the location without credentials.
	Repository  string
	SegmentSize uint64
	Timelines   []WALTimeline // ascending
	// ReportedAt is when the controller stored the report (database clock).
	ReportedAt time.Time
}

// WALTimeline is one timeline of an archive.
type WALTimeline struct {
	Timeline uint32
	// FirstSegment and LastSegment are file names; empty when only the
	// history file is archived.
	FirstSegment, LastSegment string
	SegmentCount              int64
	// Gaps are the missing ranges, ascending.
	Gaps           []WALGap
	History        bool
	ParentTimeline uint32
	SwitchLSN      string
	// LastArchivedAt is when the newest segment was stored (zero: unknown).
	LastArchivedAt time.Time
}

// WALGap is a range of missing segments, both ends inclusive.
type WALGap struct {
	FirstSegment string `json:"first"`
	LastSegment  string `json:"last"`
	SegmentCount int64  `json:"count"`
}

// GapCount is the number of gaps over all timelines.
func (a WALArchive) GapCount() int {
	n := 0
	for _, t := range a.Timelines {
		n += len(t.Gaps)
	}
	return n
}

// WALArchiveStore keeps the last WAL archive report per source.
type WALArchiveStore interface {
	// PutWALArchive stores a (ReportedAt is set to the database clock),
	// replacing the source's previous report, which it returns (with ok
	// false when there was none) so new gaps can be told from known ones.
	// ErrNotFound when the source does not exist.
	PutWALArchive(ctx context.Context, a WALArchive) (stored, previous WALArchive, ok bool, _ error)
	// GetWALArchive returns the source's last report; ErrNotFound when no
	// report was stored.
	GetWALArchive(ctx context.Context, sourceID string) (WALArchive, error)
}
