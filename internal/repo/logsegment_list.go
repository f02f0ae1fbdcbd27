package repo

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
)

// LogArchive is what a stream's archive holds, per timeline.
type LogArchive struct {
	Stream string
	// SegmentSize is read from the header of the stream's first segment;
	// DefaultWALSegmentSize when the stream has no segment yet.
	SegmentSize uint64
	Timelines   []LogTimeline // ascending
	// Files is every log file, sorted by timeline and name.
	Files []LogFile
	// Invalid lists objects under the stream that are not log files.
	Invalid []string
}

// LogTimeline is one timeline's part of an archive.
type LogTimeline struct {
	Timeline uint32
	// Runs are the maximal runs of consecutive segments, ascending; more
	// than one run means segments are missing in between (Gaps).
	Runs []LogRun
	// History is true when the timeline's .history file is archived
	// (timeline 1 has none).
	History bool
	Partial []LogFile
	Backups []LogFile // .backup files
}

// LogRun is a range of segment numbers [First, Last], both inclusive.
type LogRun struct {
	First, Last uint64
}

// Gaps returns the missing ranges between runs.
func (t *LogTimeline) Gaps() []LogRun {
	var gaps []LogRun
	for i := 1; i < len(t.Runs); i++ {
		gaps = append(gaps, LogRun{First: t.Runs[i-1].Last + 1, Last: t.Runs[i].First - 1})
	}
	return gaps
}

// Has reports whether every segment in [first, last] is archived.
func (t *LogTimeline) Has(first, last uint64) bool {
	for _, r := range t.Runs {
		if r.First <= first && last <= r.Last {
			return true
		}
	}
	return false
}

// Missing returns the segment numbers in [first, last] that are not archived.
func (t *LogTimeline) Missing(first, last uint64) []uint64 {
	var out []uint64
	for s := first; s <= last; s++ {
		if !t.Has(s, s) {
			out = append(out, s)
		}
	}
	return out
}

// Timeline returns one timeline's part, or nil.
func (a *LogArchive) Timeline(tl uint32) *LogTimeline {
	for i := range a.Timelines {
		if a.Timelines[i].Timeline == tl {
			return &a.Timelines[i]
		}
	}
	return nil
}

// SegmentName is the file name of segment segNo on timeline tl.
func (a *LogArchive) SegmentName(tl uint32, segNo uint64) string {
	return WALFileName(tl, segNo, a.SegmentSize)
}

// ListLogSegments lists a stream's archive from object names (plus one
// header read to learn the segment size): what each timeline holds, with
// gaps visible as several runs.
func (r *Repository) ListLogSegments(ctx context.Context, stream string) (*LogArchive, error) {
	if err := validStream(stream); err != nil {
		return nil, err
	}
	prefix := logPrefix + stream + "/"
	a := &LogArchive{Stream: stream, SegmentSize: DefaultWALSegmentSize}
	err := r.be.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		dir, name, ok := strings.Cut(strings.TrimPrefix(oi.Name, prefix), "/")
		f, err := ParseLogFile(stream, name)
		if !ok || err != nil || fmt.Sprintf("%08X", f.Timeline) != dir {
			a.Invalid = append(a.Invalid, oi.Name)
			return nil
		}
		a.Files = append(a.Files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(a.Files, func(i, j int) bool {
		if a.Files[i].Timeline != a.Files[j].Timeline {
			return a.Files[i].Timeline < a.Files[j].Timeline
		}
		return a.Files[i].Name < a.Files[j].Name
	})
	sort.Strings(a.Invalid)
	// The segment size comes from the first readable segment header; a
	// damaged one is CheckLogSegments' business, not the listing's.
	tries := 0
	for _, f := range a.Files {
		if f.Kind != LogSegment {
			continue
		}
		if tries++; tries > 8 {
			break
		}
		info, err := r.StatLogSegment(ctx, f)
		if err != nil && !IsCorruption(err) {
			return nil, fmt.Errorf("list %s: read segment size: %w", prefix, err)
		}
		if err == nil && validSegmentSize(uint64(info.Size)) {
			a.SegmentSize = uint64(info.Size)
			break
		}
	}
	a.build()
	return a, nil
}

// validSegmentSize: PostgreSQL allows powers of two from 1 MiB to 1 GiB.
func validSegmentSize(n uint64) bool {
	return n >= 1<<20 && n <= 1<<30 && n&(n-1) == 0
}

func (a *LogArchive) build() {
	byTL := map[uint32]*LogTimeline{}
	get := func(tl uint32) *LogTimeline {
		if t, ok := byTL[tl]; ok {
			return t
		}
		t := &LogTimeline{Timeline: tl}
		byTL[tl] = t
		return t
	}
	for _, f := range a.Files {
		t := get(f.Timeline)
		switch f.Kind {
		case LogHistory:
			t.History = true
		case LogPartial:
			t.Partial = append(t.Partial, f)
		case LogBackupLabel:
			t.Backups = append(t.Backups, f)
		case LogSegment:
			if uint64(f.Seg) >= segmentsPerLogID(a.SegmentSize) {
				continue // not a segment at this size; ignore rather than misplace
			}
			n := f.SegNo(a.SegmentSize)
			if k := len(t.Runs); k > 0 && t.Runs[k-1].Last+1 == n {
				t.Runs[k-1].Last = n
			} else {
				t.Runs = append(t.Runs, LogRun{First: n, Last: n})
			}
		}
	}
	for _, t := range byTL {
		a.Timelines = append(a.Timelines, *t)
	}
	sort.Slice(a.Timelines, func(i, j int) bool { return a.Timelines[i].Timeline < a.Timelines[j].Timeline })
}

// ListLogStreams returns the names of the streams that have log files.
func (r *Repository) ListLogStreams(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := r.be.List(ctx, logPrefix, func(oi storage.ObjectInfo) error {
		s, _, ok := strings.Cut(strings.TrimPrefix(oi.Name, logPrefix), "/")
		if ok && validStream(s) == nil {
			seen[s] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", logPrefix, err)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}
