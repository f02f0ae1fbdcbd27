package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	"github.com/cofferhq/coffer/internal/repo"
)

// Recovery target kinds.
const (
	// TargetImmediate stops at the backup's consistency point.
	TargetImmediate = "immediate"
	// TargetEnd replays every archived segment.
	TargetEnd = "end"
	// TargetTime stops before the first transaction committed after Time.
	TargetTime = "time"
)

// RecoveryTarget says how far a restored cluster replays WAL.
type RecoveryTarget struct {
	Kind string
	Time time.Time
	// Timeline is recovery_target_timeline: "latest" (default), "current"
	// or a number.
	Timeline string
}

func (t RecoveryTarget) String() string {
	if t.Kind == TargetTime {
		return "time " + t.Time.UTC().Format(time.RFC3339Nano)
	}
	return t.Kind
}

// ErrOutsideWindow is wrapped when a target time cannot be reached from
// the backups and WAL in the repository.
var ErrOutsideWindow = errors.New("recovery target outside the archived window")

// Window is the range of times a stream can be restored to.
type Window struct {
	// From is the end of the oldest usable base backup; To the last
	// commit found in archived WAL contiguous with a backup.
	From, To time.Time
}

func (w Window) String() string {
	return fmt.Sprintf("%s .. %s", w.From.UTC().Format(time.RFC3339Nano), w.To.UTC().Format(time.RFC3339Nano))
}

// Backup is one physical backup of a stream.
type Backup struct {
	ID       repo.ID
	Snapshot *repo.Snapshot
	Meta     *PhysicalMeta
}

// ListBackups returns the stream's physical backups ordered by stop time.
func ListBackups(ctx context.Context, r *repo.Repository, stream string) ([]Backup, error) {
	list, err := r.ListSnapshots(ctx)
	if err != nil && len(list) == 0 {
		return nil, err
	}
	var out []Backup
	for _, e := range list {
		if e.Snapshot.Kind != KindPhysical {
			continue
		}
		m, err := DecodeMeta(e.Snapshot)
		if err != nil || m.Physical == nil || m.Physical.Stream != stream {
			continue
		}
		out = append(out, Backup{ID: e.ID, Snapshot: e.Snapshot, Meta: m.Physical})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.StopTime.Before(out[j].Meta.StopTime) })
	return out, nil
}

// Plan is what a physical restore will use.
type Plan struct {
	Backup Backup
	Target RecoveryTarget
	// Window is set for time targets.
	Window *Window
	// LastSegment is the segment that holds the first commit after the
	// target time (replay stops in it); for other targets the last
	// segment the replay is known to need.
	LastSegment string
}

// PlanRestore chooses the base backup for target (the newest one that
// ends before a target time, or the newest for the other targets) unless
// snapshot names one, and checks that the WAL it needs is archived with
// no gap. A target time outside what the repository can reach is refused
// with ErrOutsideWindow and the window named.
func PlanRestore(ctx context.Context, r *repo.Repository, stream string, target RecoveryTarget, snapshot *repo.ID) (*Plan, error) {
	backups, err := ListBackups(ctx, r, stream)
	if err != nil {
		return nil, err
	}
	if len(backups) == 0 {
		return nil, fmt.Errorf("no physical backup of source %s in the repository", stream)
	}
	arch, err := r.ListLogSegments(ctx, stream)
	if err != nil {
		return nil, err
	}
	p := &Plan{Target: target}
	if snapshot != nil {
		found := false
		for _, b := range backups {
			if b.ID == *snapshot {
				p.Backup, found = b, true
			}
		}
		if !found {
			return nil, fmt.Errorf("snapshot %s is not a physical backup of source %s", snapshot.Short(), stream)
		}
	}
	if target.Kind != TargetTime {
		if snapshot == nil {
			p.Backup = backups[len(backups)-1]
		}
		path, err := timelinePath(ctx, r, arch, p.Backup.Meta, target.Timeline)
		if err != nil {
			return nil, err
		}
		if err := checkContiguous(arch, p.Backup.Meta, path); err != nil {
			return nil, err
		}
		p.LastSegment = p.Backup.Meta.StopWAL
		return p, nil
	}
	return p, planTime(ctx, r, arch, backups, snapshot != nil, p)
}

func planTime(ctx context.Context, r *repo.Repository, arch *repo.LogArchive, backups []Backup, chosen bool, p *Plan) error {
	stream := arch.Stream
	t := p.Target.Time
	if !chosen {
		for _, b := range backups {
			if !b.Meta.StopTime.After(t) {
				p.Backup = b
			}
		}
	}
	if p.Backup.Meta == nil || p.Backup.Meta.StopTime.After(t) {
		w := window(ctx, r, arch, backups, p.Target.Timeline)
		if chosen {
			return fmt.Errorf("%w: backup %s ends at %s, after the target %s (window %s)", ErrOutsideWindow,
				p.Backup.ID.Short(), p.Backup.Meta.StopTime.UTC().Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano), w)
		}
		return fmt.Errorf("%w: target %s is before the end of the oldest backup of %s; the window is %s", ErrOutsideWindow,
			t.UTC().Format(time.RFC3339Nano), stream, w)
	}
	path, err := timelinePath(ctx, r, arch, p.Backup.Meta, p.Target.Timeline)
	if err != nil {
		return err
	}
	if err := checkContiguous(arch, p.Backup.Meta, path); err != nil {
		return err
	}
	seg, last, err := findCommitAfter(ctx, r, arch, p.Backup.Meta, path, t)
	if err != nil {
		return err
	}
	p.Window = &Window{From: backups[0].Meta.StopTime, To: last}
	if seg == "" {
		return fmt.Errorf("%w: target %s is after the last archived commit of %s; the window is %s", ErrOutsideWindow,
			t.UTC().Format(time.RFC3339Nano), stream, p.Window)
	}
	p.LastSegment = seg
	return nil
}

// window computes the stream's window for an error message: from the
// first backup's end to the last commit reachable from the newest backup.
func window(ctx context.Context, r *repo.Repository, arch *repo.LogArchive, backups []Backup, tlWant string) Window {
	w := Window{From: backups[0].Meta.StopTime, To: backups[len(backups)-1].Meta.StopTime}
	newest := backups[len(backups)-1].Meta
	if path, err := timelinePath(ctx, r, arch, newest, tlWant); err == nil {
		if _, last, err := findCommitAfter(ctx, r, arch, newest, path, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil && last.After(w.To) {
			w.To = last
		}
	}
	return w
}

// span is the part of one timeline that recovery reads: segments
// [from, to] (to inclusive; math.MaxUint64 for the last timeline).
type span struct {
	tl       uint32
	from, to uint64
}

// timelinePath follows recovery_target_timeline from the backup's
// timeline: "current" stays on it; "latest" (or "") takes the newest
// archived timeline whose history descends from it after the backup; a
// number takes that timeline, which must descend from it.
func timelinePath(ctx context.Context, r *repo.Repository, arch *repo.LogArchive, m *PhysicalMeta, want string) ([]span, error) {
	seg := m.WALSegmentSize
	start := m.StartLSN.SegNo(seg)
	own := []span{{tl: m.Timeline, from: start, to: math.MaxUint64}}
	if want == "current" {
		return own, nil
	}
	var candidates []uint32
	if want == "" || want == "latest" {
		for i := len(arch.Timelines) - 1; i >= 0; i-- {
			if tl := arch.Timelines[i]; tl.Timeline > m.Timeline && tl.History {
				candidates = append(candidates, tl.Timeline)
			}
		}
	} else {
		n, err := strconv.ParseUint(want, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("recovery target timeline %q: want latest, current or a number", want)
		}
		if uint32(n) == m.Timeline {
			return own, nil
		}
		candidates = []uint32{uint32(n)}
	}
	for _, tl := range candidates {
		hist, err := loadHistory(ctx, r, arch.Stream, tl)
		if err != nil {
			return nil, err
		}
		path := descend(hist, tl, m, seg)
		if path != nil {
			return path, nil
		}
		if want != "" && want != "latest" {
			return nil, fmt.Errorf("timeline %d does not descend from the backup's timeline %d after the backup", tl, m.Timeline)
		}
	}
	return own, nil
}

// descend builds the spans from the backup's timeline to tl using tl's
// history, or nil when tl did not branch from it after the backup.
func descend(hist []pgwal.HistoryEntry, tl uint32, m *PhysicalMeta, seg uint64) []span {
	for i, h := range hist {
		if h.Parent != m.Timeline {
			continue
		}
		if h.SwitchLSN < m.StopLSN {
			return nil
		}
		// Each timeline is read up to the segment before its switch point;
		// the segment holding the switch point is read from the child,
		// which starts with a copy of it.
		var path []span
		from := m.StartLSN.SegNo(seg)
		for _, e := range hist[i:] {
			sw := e.SwitchLSN.SegNo(seg)
			if sw > from {
				path = append(path, span{tl: e.Parent, from: from, to: sw - 1})
			}
			from = max(from, sw)
		}
		return append(path, span{tl: tl, from: from, to: math.MaxUint64})
	}
	return nil
}

func loadHistory(ctx context.Context, r *repo.Repository, stream string, tl uint32) ([]pgwal.HistoryEntry, error) {
	f, err := repo.ParseLogFile(stream, fmt.Sprintf("%08X.history", tl))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := r.LoadLogSegment(ctx, f, &buf); err != nil {
		return nil, fmt.Errorf("timeline %d history: %w", tl, err)
	}
	return pgwal.ParseHistory(buf.Bytes())
}

// checkContiguous checks that every segment from the backup's start to
// its stop is archived, following the path.
func checkContiguous(arch *repo.LogArchive, m *PhysicalMeta, path []span) error {
	seg := m.WALSegmentSize
	stop := m.StopLSN.SegNoEnd(seg)
	for _, sp := range path {
		to := min(sp.to, stop)
		if sp.from > to {
			continue
		}
		t := arch.Timeline(sp.tl)
		if t == nil {
			return fmt.Errorf("backup needs WAL %s to %s on timeline %d, and none is archived", arch.SegmentName(sp.tl, sp.from), arch.SegmentName(sp.tl, to), sp.tl)
		}
		if missing := t.Missing(sp.from, to); len(missing) > 0 {
			return fmt.Errorf("backup needs WAL %s to %s, but %d segments are missing from the archive, first %s",
				arch.SegmentName(sp.tl, sp.from), arch.SegmentName(sp.tl, to), len(missing), arch.SegmentName(sp.tl, missing[0]))
		}
	}
	return nil
}

// findCommitAfter walks archived segments from the backup's stop segment
// along the path, as long as they are contiguous, and returns the first
// one whose last commit is after t, plus the last commit time seen.
func findCommitAfter(ctx context.Context, r *repo.Repository, arch *repo.LogArchive, m *PhysicalMeta, path []span, t time.Time) (string, time.Time, error) {
	last := m.StopTime
	stop := m.StopLSN.SegNoEnd(m.WALSegmentSize)
	for _, sp := range path {
		tl := arch.Timeline(sp.tl)
		if tl == nil {
			return "", last, nil
		}
		for n := max(sp.from, stop); n <= sp.to; n++ {
			if !tl.Has(n, n) {
				return "", last, nil // the run ends: a gap or the archive's end
			}
			f, err := repo.ParseLogFile(arch.Stream, arch.SegmentName(sp.tl, n))
			if err != nil {
				return "", last, err
			}
			info, err := r.StatLogSegment(ctx, f)
			if err != nil {
				return "", last, fmt.Errorf("read archived WAL: %w", err)
			}
			if info.LastCommit == nil {
				continue
			}
			if info.LastCommit.After(last) {
				last = *info.LastCommit
			}
			if info.LastCommit.After(t) {
				return f.Name, last, nil
			}
		}
	}
	return "", last, nil
}

// VerifyPlanWAL downloads and authenticates every archived segment a plan
// replays: from the backup's start through its last needed segment (for
// the end of the archive, through the end of the contiguous run). The
// first damaged one is returned as a *repo.CorruptionError naming it.
func VerifyPlanWAL(ctx context.Context, r *repo.Repository, p *Plan) error {
	m := p.Backup.Meta
	arch, err := r.ListLogSegments(ctx, m.Stream)
	if err != nil {
		return err
	}
	path, err := timelinePath(ctx, r, arch, m, p.Target.Timeline)
	if err != nil {
		return err
	}
	last := uint64(math.MaxUint64)
	if p.Target.Kind != TargetEnd && p.LastSegment != "" {
		if f, err := repo.ParseLogFile(m.Stream, p.LastSegment); err == nil {
			last = f.SegNo(m.WALSegmentSize)
		}
	}
	for _, sp := range path {
		tl := arch.Timeline(sp.tl)
		if tl == nil {
			continue
		}
		for n := sp.from; n <= min(sp.to, last); n++ {
			if !tl.Has(n, n) {
				return nil // the end of the contiguous archive
			}
			f, err := repo.ParseLogFile(m.Stream, arch.SegmentName(sp.tl, n))
			if err != nil {
				return err
			}
			if _, err := r.LoadLogSegment(ctx, f, io.Discard); err != nil {
				return fmt.Errorf("archived WAL the restore needs is unusable: %w", err)
			}
		}
	}
	return nil
}
