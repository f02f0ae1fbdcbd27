package pgwal

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a position in the write-ahead log.
type LSN uint64

// ParseLSN parses PostgreSQL's text form "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("invalid LSN %q: want XXXXXXXX/XXXXXXXX", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("invalid LSN %q: want XXXXXXXX/XXXXXXXX", s)
	}
	return LSN(h<<32 | l), nil
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint32(l)) }

// MarshalText writes the text form, so JSON metadata reads like psql.
func (l LSN) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses the text form.
func (l *LSN) UnmarshalText(b []byte) error {
	v, err := ParseLSN(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// SegNo is the number of the segment holding l.
func (l LSN) SegNo(segSize uint64) uint64 { return uint64(l) / segSize }

// SegNoEnd is the number of the segment holding the byte just before l:
// the last segment needed to replay up to l (PostgreSQL's XLByteToPrevSeg).
func (l LSN) SegNoEnd(segSize uint64) uint64 {
	if l == 0 {
		return 0
	}
	return (uint64(l) - 1) / segSize
}

// WALFileName is the name of the segment holding lsn on timeline tl
// (PostgreSQL's XLogFileName).
func WALFileName(tl uint32, lsn LSN, segSize uint64) string {
	return SegmentFileName(tl, lsn.SegNo(segSize), segSize)
}

// SegmentFileName is the name of segment segNo on timeline tl.
func SegmentFileName(tl uint32, segNo, segSize uint64) string {
	per := (uint64(1) << 32) / segSize
	return fmt.Sprintf("%08X%08X%08X", tl, uint32(segNo/per), uint32(segNo%per))
}
