package pgwal_test

import (
	"encoding/binary"
	"testing"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
)

// fakeSegment is a 1 MiB segment with a valid long page header and one
// commit-shaped record, so the fuzzer starts deep inside the scanner.
func fakeSegment() []byte {
	seg := make([]byte, 1<<20)
	binary.LittleEndian.PutUint16(seg[0:], 0xD110)
	binary.LittleEndian.PutUint16(seg[2:], 0x0002)
	binary.LittleEndian.PutUint32(seg[4:], 1)
	binary.LittleEndian.PutUint64(seg[8:], 1<<20)
	binary.LittleEndian.PutUint32(seg[32:], 1<<20)
	binary.LittleEndian.PutUint32(seg[36:], 8192)
	rec := seg[40:]
	binary.LittleEndian.PutUint32(rec[0:], 24+2+12)
	rec[17] = 1
	rec[24], rec[25] = 255, 12
	return seg
}

// FuzzScanSegment: segments come from disk and storage; any bytes must
// give a summary or an error, never a panic.
func FuzzScanSegment(f *testing.F) {
	f.Add(fakeSegment()[:8192], 0, byte(0))
	f.Add(fakeSegment(), 40, byte(0x80))
	f.Fuzz(func(t *testing.T, head []byte, pos int, b byte) {
		seg := fakeSegment()
		copy(seg, head)
		if pos >= 0 && pos < len(seg) {
			seg[pos] = b
		}
		s, err := pgwal.ScanSegment(seg)
		if err == nil && s.Commits > s.Records {
			t.Fatalf("%d commits in %d records", s.Commits, s.Records)
		}
		pgwal.ScanSegment(head)
	})
}

// FuzzParseHistory: history files come from storage.
func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("1\t0/3000158\tno recovery target specified\n"))
	f.Add([]byte("# comment\n\n1\t0/3\n2\tFFFFFFFF/FFFFFFFF\tx"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := pgwal.ParseHistory(data)
		if err != nil {
			return
		}
		for i := 1; i < len(h); i++ {
			if h[i].Parent <= h[i-1].Parent {
				t.Fatalf("parents not increasing: %+v", h)
			}
		}
	})
}

// FuzzParseBackupLabel: labels come from snapshots in storage.
func FuzzParseBackupLabel(f *testing.F) {
	f.Add([]byte("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nSTART TIMELINE: 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pgwal.ParseBackupLabel(data)
	})
}
