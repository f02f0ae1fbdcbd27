package repo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

func mustLogFile(t testing.TB, stream, name string) LogFile {
	t.Helper()
	f, err := ParseLogFile(stream, name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// walLike is compressible like real WAL: records with varying fields
// followed by zero padding.
func walLike(seed uint64, n int) []byte {
	b := make([]byte, n)
	copy(b, bytes.Repeat(append([]byte("INSERT pgbench_history "), randomData(seed, 40)...), n/3/63))
	return b
}

func loadLog(t testing.TB, r *Repository, f LogFile) ([]byte, LogSegmentInfo, error) {
	t.Helper()
	var buf bytes.Buffer
	info, err := r.LoadLogSegment(context.Background(), f, &buf)
	return buf.Bytes(), info, err
}

func TestLogSegmentRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	r.SetOptions(Options{Clock: func() time.Time { return at }})
	commit := at.Add(-time.Minute)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"000000010000000000000003", walLike(1, 16<<20)},
		{"000000010000000000000004", randomData(2, 2*logFrameSize+17)}, // incompressible, 3 frames
		{"00000002.history", []byte("1\t0/5000000\tno recovery target specified\n")},
		{"000000010000000000000003.00000028.backup", []byte("START WAL LOCATION: 0/3000028\n")},
		{"000000010000000000000005.partial", nil},
	} {
		f := mustLogFile(t, "main", tc.name)
		rng := LogRange{Start: 1, End: 2, FirstCommit: &commit, LastCommit: &commit}
		res, err := r.SaveLogSegment(ctx, f, tc.data, rng)
		if err != nil || res.Existed {
			t.Fatalf("save %s: %+v, %v", tc.name, res, err)
		}
		if tc.name == "000000010000000000000003" && res.Stored > int64(len(tc.data))/4 {
			t.Errorf("WAL-like segment stored in %d bytes: not compressed", res.Stored)
		}
		got, info, err := loadLog(t, reopen(t, be), f)
		if err != nil {
			t.Fatalf("load %s: %v", tc.name, err)
		}
		if !bytes.Equal(got, tc.data) {
			t.Fatalf("load %s: %d bytes differ from the %d saved", tc.name, len(got), len(tc.data))
		}
		if info.Object != f.Object() || info.Size != int64(len(tc.data)) || !info.Archived.Equal(at) ||
			info.Start != 1 || info.End != 2 || !info.LastCommit.Equal(commit) {
			t.Fatalf("info %+v", info)
		}
		if st, err := r.StatLogSegment(ctx, f); err != nil || st.ContentID != info.ContentID {
			t.Fatalf("stat %s: %+v, %v", tc.name, st, err)
		}
	}
	names := objectNames(t, be, "wal/")
	want := "wal/main/00000001/000000010000000000000003"
	if !contains(names, want) || !contains(names, "wal/main/00000002/00000002.history") {
		t.Fatalf("objects %v lack %s or the history file", names, want)
	}
}

func TestLogSegmentSaveIsIdempotentAndRefusesDifferentContent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := newTestRepo(t)
	f := mustLogFile(t, "main", "000000010000000000000007")
	seg := walLike(7, 1<<20)
	if _, err := r.SaveLogSegment(ctx, f, seg, LogRange{}); err != nil {
		t.Fatal(err)
	}
	res, err := r.SaveLogSegment(ctx, f, bytes.Clone(seg), LogRange{})
	if err != nil || !res.Existed || res.Stored != 0 {
		t.Fatalf("second push of the same bytes: %+v, %v; want accepted as existing", res, err)
	}
	other := bytes.Clone(seg)
	other[100] ^= 1
	_, err = r.SaveLogSegment(ctx, f, other, LogRange{})
	if !errors.Is(err, ErrLogConflict) || !strings.Contains(err.Error(), f.Object()) {
		t.Fatalf("push of different bytes under the same name: %v; want ErrLogConflict naming %s", err, f.Object())
	}
	got, _, err := loadLog(t, r, f)
	if err != nil || !bytes.Equal(got, seg) {
		t.Fatalf("the archived copy changed: %v", err)
	}
}

func TestLogSegmentDamageIsNamed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	f := mustLogFile(t, "main", "000000010000000000000009")
	if _, err := r.SaveLogSegment(ctx, f, randomData(9, logFrameSize+500), LogRange{}); err != nil {
		t.Fatal(err)
	}
	obj := readAll(t, be, f.Object())
	positions := []int{0, 1, 5, 36, 37, 41, 60, len(obj) / 2, len(obj) - 1}
	for _, pos := range positions {
		broken := flipped(t, be, f.Object(), pos, 0x10)
		r2 := reopen(t, broken)
		_, _, err := loadLog(t, r2, f)
		var ce *CorruptionError
		if !errors.As(err, &ce) || ce.Object != f.Object() {
			t.Errorf("flip at byte %d: %v; want a CorruptionError naming %s", pos, err, f.Object())
		}
	}
	// Truncation at a frame boundary and anywhere else.
	for _, n := range []int{len(obj) - 1, len(obj) - 600, 40, 0} {
		cut := cloneBackend(t, be)
		overwrite(t, cut, f.Object(), obj[:n])
		if _, _, err := loadLog(t, reopen(t, cut), f); !IsCorruption(err) {
			t.Errorf("truncated to %d bytes: %v; want corruption", n, err)
		}
	}
	// A valid object moved to another name does not authenticate.
	moved := cloneBackend(t, be)
	g := mustLogFile(t, "main", "00000001000000000000000A")
	overwrite(t, moved, g.Object(), obj)
	if _, _, err := loadLog(t, reopen(t, moved), g); !IsCorruption(err) {
		t.Errorf("object renamed to %s: %v; want corruption", g.Object(), err)
	}
	// A damaged archived copy is reported by a second push, not overwritten.
	broken := flipped(t, be, f.Object(), 50, 1)
	_, err := reopen(t, broken).SaveLogSegment(ctx, f, randomData(9, logFrameSize+500), LogRange{})
	if !IsCorruption(err) {
		t.Errorf("push over a damaged copy: %v; want the corruption reported", err)
	}
	n, err := reopen(t, broken).CheckLogSegments(ctx, "main", func(bf LogFile, err error) {
		if bf != f {
			t.Errorf("check reported %s", bf.Name)
		}
	})
	if err != nil || n != 1 {
		t.Errorf("check: %d, %v", n, err)
	}
}

func TestLogSegmentMissing(t *testing.T) {
	t.Parallel()
	r, _ := newTestRepo(t)
	f := mustLogFile(t, "main", "000000010000000000000001")
	_, _, err := loadLog(t, r, f)
	if !errors.Is(err, ErrLogNotFound) || !storage.IsNotExist(err) {
		t.Fatalf("missing segment: %v", err)
	}
}

func TestListLogSegmentsRunsAndGaps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	const seg = 1 << 20 // wal_segment_size 1 MiB: 4096 segments per log ID
	data := make([]byte, seg)
	for _, name := range []string{
		"000000010000000000000FFE", "000000010000000000000FFF", "000000010000000100000000", // across a log ID
		"000000010000000100000003", // gap: 1/1, 1/2
		"00000002.history", "000000020000000100000003", "000000020000000100000004",
		"000000010000000100000003.00000028.backup", "000000010000000100000004.partial",
	} {
		if _, err := r.SaveLogSegment(ctx, mustLogFile(t, "db1", name), data, LogRange{}); err != nil {
			t.Fatal(err)
		}
	}
	overwrite(t, be, "wal/db1/00000001/junk", []byte("x"))
	overwrite(t, be, "wal/db1/00000003/000000010000000000000001", []byte("x")) // wrong directory
	a, err := r.ListLogSegments(ctx, "db1")
	if err != nil {
		t.Fatal(err)
	}
	if a.SegmentSize != seg {
		t.Fatalf("segment size %d", a.SegmentSize)
	}
	if len(a.Invalid) != 2 {
		t.Errorf("invalid objects %v", a.Invalid)
	}
	tl1, tl2 := a.Timeline(1), a.Timeline(2)
	if tl1 == nil || tl2 == nil || a.Timeline(3) != nil {
		t.Fatalf("timelines %+v", a.Timelines)
	}
	base := uint64(4096)
	wantRuns := []LogRun{{base - 2, base}, {base + 3, base + 3}}
	if len(tl1.Runs) != 2 || tl1.Runs[0] != wantRuns[0] || tl1.Runs[1] != wantRuns[1] {
		t.Fatalf("timeline 1 runs %+v, want %+v", tl1.Runs, wantRuns)
	}
	if g := tl1.Gaps(); len(g) != 1 || g[0] != (LogRun{base + 1, base + 2}) {
		t.Fatalf("gaps %+v", g)
	}
	if a.SegmentName(1, base+1) != "000000010000000100000001" {
		t.Fatalf("gap name %s", a.SegmentName(1, base+1))
	}
	if !tl1.Has(base-2, base) || tl1.Has(base, base+3) || len(tl1.Missing(base, base+3)) != 2 {
		t.Fatalf("Has/Missing wrong for %+v", tl1.Runs)
	}
	if !tl2.History || tl1.History || len(tl1.Backups) != 1 || len(tl1.Partial) != 1 || len(tl2.Runs) != 1 {
		t.Fatalf("timeline details %+v %+v", tl1, tl2)
	}
	streams, err := r.ListLogStreams(ctx)
	if err != nil || len(streams) != 1 || streams[0] != "db1" {
		t.Fatalf("streams %v, %v", streams, err)
	}
}

func TestParseLogFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stream, name string
		kind         LogFileKind
		tl           uint32
	}{
		{"main", "0000000A00000001000000FF", LogSegment, 10},
		{"a.b_c-1", "00000003.history", LogHistory, 3},
		{"main", "000000010000000000000002.00000028.backup", LogBackupLabel, 1},
		{"main", "000000010000000000000002.partial", LogPartial, 1},
	} {
		f, err := ParseLogFile(tc.stream, tc.name)
		if err != nil || f.Kind != tc.kind || f.Timeline != tc.tl {
			t.Errorf("%s: %+v, %v", tc.name, f, err)
		}
	}
	for _, tc := range [][2]string{
		{"main", "0000000a00000001000000FF"}, // lower case
		{"main", "00000000000000010000000F"}, // timeline 0
		{"main", "00000001000000010000000"},
		{"main", "00000001.history.x"},
		{"main", "000000010000000000000002.0000028.backup"},
		{"main", "../../config"},
		{"", "000000010000000000000001"},
		{"a/b", "000000010000000000000001"},
		{"..", "000000010000000000000001"},
		{"-x", "000000010000000000000001"},
	} {
		if _, err := ParseLogFile(tc[0], tc[1]); !errors.Is(err, ErrInvalidLogName) {
			t.Errorf("stream %q file %q accepted (%v)", tc[0], tc[1], err)
		}
	}
}
