package pgwal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Page and record layout constants (access/xlog_internal.h, xlogrecord.h).
const (
	shortPageHeader = 24
	longPageHeader  = 40
	recordHeader    = 24

	xlpFirstIsContRecord = 0x0001
	xlpLongHeader        = 0x0002

	rmXact            = 1
	xactOpMask        = 0x70
	xactCommit        = 0x00
	xactAbort         = 0x20
	xactCommitPrep    = 0x30
	xactAbortPrep     = 0x40
	blockIDDataShort  = 255
	blockIDDataLong   = 254
	blockIDOrigin     = 253
	blockIDTopXID     = 252
	maxBlockID        = 32
	bkpBlockHasImage  = 0x10
	bkpBlockSameRel   = 0x80
	bkpImageHasHole   = 0x01
	bkpImageCompress  = 0x04 | 0x08 | 0x10 // PGLZ, LZ4, ZSTD (format 15)
	relFileNodeSize   = 12
	blockNumberSize   = 4
	blockHeaderSize   = 3
	blockImageHdrSize = 5
)

// Magics are the WAL page magics of the versions whose record layout this
// package decodes, by PostgreSQL major version.
var Magics = map[uint16]int{0xD110: 15}

// pgEpoch is the zero of TimestampTz: 2000-01-01 00:00:00 UTC.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrNotWAL means the bytes do not start with a WAL segment's long page header.
var ErrNotWAL = errors.New("not a WAL segment")

// SegmentSummary is what one segment holds.
type SegmentSummary struct {
	Magic      uint16
	Version    int // PostgreSQL major version of the WAL format; 0 if unknown
	Timeline   uint32
	SystemID   uint64
	SegSize    uint32
	BlockSize  uint32
	Start, End LSN // the segment's first byte and one past its last
	// Records is the number of complete, checksummed records that start in
	// the segment; the scan stops at the first invalid one (end of WAL).
	Records int
	// FirstCommit and LastCommit are the times of the first and last
	// commit or abort record, zero when there is none (or the format is
	// unknown: then only the header fields are set).
	FirstCommit, LastCommit time.Time
	Commits                 int
}

// ScanSegment reads a whole WAL segment. It fails only when the first page
// header is unusable; anything later just ends the scan, as for PostgreSQL
// reading up to the end of valid WAL.
func ScanSegment(seg []byte) (SegmentSummary, error) {
	var s SegmentSummary
	if len(seg) < longPageHeader {
		return s, fmt.Errorf("%w: %d bytes", ErrNotWAL, len(seg))
	}
	info := binary.LittleEndian.Uint16(seg[2:])
	if info&xlpLongHeader == 0 {
		return s, fmt.Errorf("%w: first page has no long header", ErrNotWAL)
	}
	s.Magic = binary.LittleEndian.Uint16(seg[0:])
	s.Timeline = binary.LittleEndian.Uint32(seg[4:])
	s.Start = LSN(binary.LittleEndian.Uint64(seg[8:]))
	s.SystemID = binary.LittleEndian.Uint64(seg[24:])
	s.SegSize = binary.LittleEndian.Uint32(seg[32:])
	s.BlockSize = binary.LittleEndian.Uint32(seg[36:])
	if !validPow2(uint64(s.SegSize), 1<<20, 1<<30) || !validPow2(uint64(s.BlockSize), 1<<10, 1<<15) ||
		uint64(s.Start)%uint64(s.SegSize) != 0 || int(s.SegSize) != len(seg) {
		return s, fmt.Errorf("%w: segment size %d, block size %d, start %s for %d bytes", ErrNotWAL, s.SegSize, s.BlockSize, s.Start, len(seg))
	}
	s.End = s.Start + LSN(s.SegSize)
	s.Version = Magics[s.Magic]
	if s.Version == 0 {
		return s, nil
	}
	stream, skip := payload(seg, &s)
	scanRecords(stream, skip, &s)
	return s, nil
}

func validPow2(n, lo, hi uint64) bool { return n >= lo && n <= hi && n&(n-1) == 0 }

// payload concatenates the pages' contents without their headers, up to
// the first page whose header does not match (end of valid WAL). skip is
// the length of the record continued from the previous segment. Page
// headers are multiples of 8 bytes, so record alignment is the same in the
// stream as in LSNs.
func payload(seg []byte, s *SegmentSummary) ([]byte, int) {
	bs := int(s.BlockSize)
	out := make([]byte, 0, len(seg))
	skip := 0
	for off := 0; off+bs <= len(seg); off += bs {
		page := seg[off : off+bs]
		hdr := shortPageHeader
		if off == 0 {
			hdr = longPageHeader
		}
		info := binary.LittleEndian.Uint16(page[2:])
		if binary.LittleEndian.Uint16(page) != s.Magic ||
			LSN(binary.LittleEndian.Uint64(page[8:])) != s.Start+LSN(off) ||
			(off == 0) != (info&xlpLongHeader != 0) {
			break
		}
		if off == 0 && info&xlpFirstIsContRecord != 0 {
			skip = maxAlign(int(binary.LittleEndian.Uint32(page[16:])))
		}
		out = append(out, page[hdr:]...)
	}
	return out, skip
}

func maxAlign(n int) int { return (n + 7) &^ 7 }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// scanRecords walks the records in stream from pos, checking each one's
// CRC, and notes commit and abort times.
func scanRecords(stream []byte, pos int, s *SegmentSummary) {
	for pos >= 0 && pos+recordHeader <= len(stream) {
		tot := int(binary.LittleEndian.Uint32(stream[pos:]))
		if tot < recordHeader || tot > len(stream)-pos {
			return // end of WAL, or a record continued in the next segment
		}
		rec := stream[pos : pos+tot]
		crc := crc32.Update(0, castagnoli, rec[recordHeader:])
		crc = crc32.Update(crc, castagnoli, rec[:20])
		if crc != binary.LittleEndian.Uint32(rec[20:]) {
			return
		}
		s.Records++
		if ts, ok := xactTime(rec); ok {
			if s.Commits == 0 {
				s.FirstCommit = ts
			}
			s.LastCommit = ts
			s.Commits++
		}
		pos += maxAlign(tot)
	}
}

// xactTime returns the timestamp of a commit or abort record: the first
// field of its main data, which ends the record.
func xactTime(rec []byte) (time.Time, bool) {
	info, rmid := rec[16], rec[17]
	if rmid != rmXact {
		return time.Time{}, false
	}
	switch info & xactOpMask {
	case xactCommit, xactAbort, xactCommitPrep, xactAbortPrep:
	default:
		return time.Time{}, false
	}
	main, ok := mainData(rec)
	if !ok || len(main) < 8 {
		return time.Time{}, false
	}
	us := int64(binary.LittleEndian.Uint64(main))
	return pgEpoch.Add(time.Duration(us) * time.Microsecond), true
}

// mainData walks the block headers after the record header to find the
// main data length (DecodeXLogRecord); the main data is the record's tail.
func mainData(rec []byte) ([]byte, bool) {
	p, data := recordHeader, 0
	need := func(n int) bool { return p+n <= len(rec) }
	for need(1) {
		id := rec[p]
		p++
		switch {
		case id == blockIDDataShort:
			if !need(1) {
				return nil, false
			}
			return tail(rec, p+1, data, int(rec[p]))
		case id == blockIDDataLong:
			if !need(4) {
				return nil, false
			}
			return tail(rec, p+4, data, int(binary.LittleEndian.Uint32(rec[p:])))
		case id == blockIDOrigin:
			p += 2
		case id == blockIDTopXID:
			p += 4
		case id <= maxBlockID:
			if !need(blockHeaderSize) {
				return nil, false
			}
			flags := rec[p]
			data += int(binary.LittleEndian.Uint16(rec[p+1:]))
			p += blockHeaderSize
			if flags&bkpBlockHasImage != 0 {
				if !need(blockImageHdrSize) {
					return nil, false
				}
				data += int(binary.LittleEndian.Uint16(rec[p:]))
				bimg := rec[p+4]
				p += blockImageHdrSize
				if bimg&bkpImageHasHole != 0 && bimg&bkpImageCompress != 0 {
					p += 2
				}
			}
			if flags&bkpBlockSameRel == 0 {
				p += relFileNodeSize
			}
			p += blockNumberSize
		default:
			return nil, false
		}
	}
	return nil, false
}

// tail checks that headers (ending at p), block data and main data add up
// to the record and returns the main data.
func tail(rec []byte, p, data, main int) ([]byte, bool) {
	if main < 0 || data < 0 || p+data+main != len(rec) {
		return nil, false
	}
	return rec[len(rec)-main:], true
}
