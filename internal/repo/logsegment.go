package repo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Log segments are the files of a continuous log archive (PostgreSQL WAL
// today): one object per file under wal/<stream>/<timeline>/<file name>,
// compressed and encrypted like everything else but not chunked or
// deduplicated, because every file is unique and restore needs it whole.

const logPrefix = "wal/"

// LogFileKind tells what a file of a WAL archive is.
type LogFileKind int

const (
	// LogSegment is a WAL segment: TTTTTTTTXXXXXXXXYYYYYYYY.
	LogSegment LogFileKind = iota + 1
	// LogPartial is the last, incomplete segment of a timeline, archived
	// at promotion: TTTTTTTTXXXXXXXXYYYYYYYY.partial.
	LogPartial
	// LogHistory is a timeline history file: TTTTTTTT.history.
	LogHistory
	// LogBackupLabel is a backup history file:
	// TTTTTTTTXXXXXXXXYYYYYYYY.OOOOOOOO.backup.
	LogBackupLabel
)

func (k LogFileKind) String() string {
	switch k {
	case LogSegment:
		return "segment"
	case LogPartial:
		return "partial"
	case LogHistory:
		return "history"
	case LogBackupLabel:
		return "backup"
	}
	return fmt.Sprintf("logfilekind(%d)", int(k))
}

// LogFile names one file of a log stream.
type LogFile struct {
	// Stream is the archive the file belongs to: the source's name.
	Stream string
	// Name is the file name PostgreSQL uses (%f in archive_command).
	Name     string
	Kind     LogFileKind
	Timeline uint32
	// Log and Seg are the two halves of a segment's position (the second
	// and third 8-hex groups of its name); zero for history files.
	Log, Seg uint32
}

// ErrInvalidLogName means a stream or file name is not one Coffer archives.
var ErrInvalidLogName = errors.New("invalid log file name")

// ParseLogFile checks stream and file name and returns the file.
func ParseLogFile(stream, name string) (LogFile, error) {
	if err := validStream(stream); err != nil {
		return LogFile{}, err
	}
	f := LogFile{Stream: stream, Name: name}
	base, ext, _ := strings.Cut(name, ".")
	var err error
	switch {
	case ext == "history" && len(base) == 8:
		f.Kind = LogHistory
		f.Timeline, err = parseHex32(base)
	case len(base) == 24 && (ext == "" || ext == "partial" || isBackupExt(ext)):
		f.Kind = LogSegment
		if ext == "partial" {
			f.Kind = LogPartial
		} else if ext != "" {
			f.Kind = LogBackupLabel
		}
		f.Timeline, err = parseHex32(base[:8])
		if err == nil {
			f.Log, err = parseHex32(base[8:16])
		}
		if err == nil {
			f.Seg, err = parseHex32(base[16:])
		}
	default:
		err = errors.New("not a WAL segment, .partial, .history or .backup file name")
	}
	if err == nil && f.Timeline == 0 {
		err = errors.New("timeline 0 does not exist")
	}
	if err != nil {
		return LogFile{}, fmt.Errorf("%w %q: %v", ErrInvalidLogName, name, err)
	}
	return f, nil
}

func isBackupExt(ext string) bool {
	off, kind, ok := strings.Cut(ext, ".")
	if !ok || kind != "backup" || len(off) != 8 {
		return false
	}
	_, err := parseHex32(off)
	return err == nil
}

// parseHex32 parses exactly 8 upper-case hex digits, the only form
// PostgreSQL writes, so each file has one name.
func parseHex32(s string) (uint32, error) {
	if len(s) != 8 || strings.ToUpper(s) != s {
		return 0, fmt.Errorf("%q is not 8 upper-case hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not 8 upper-case hex digits", s)
	}
	return uint32(v), nil
}

// validStream accepts names that are safe as one storage path element.
func validStream(s string) error {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return fmt.Errorf("%w: stream %q: want 1-128 characters of A-Z a-z 0-9 . _ -, not starting with . or -", ErrInvalidLogName, s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: stream %q: character %q not allowed", ErrInvalidLogName, s, c)
		}
	}
	return nil
}

// Object is the storage name: wal/<stream>/<timeline as 8 hex>/<name>.
func (f LogFile) Object() string {
	return fmt.Sprintf("%s%s/%08X/%s", logPrefix, f.Stream, f.Timeline, f.Name)
}

// SegNo is the segment's number counted from LSN 0 for a segment size.
func (f LogFile) SegNo(segSize uint64) uint64 {
	return uint64(f.Log)*segmentsPerLogID(segSize) + uint64(f.Seg)
}

// segmentsPerLogID is how many segments one 4 GiB "log ID" holds.
func segmentsPerLogID(segSize uint64) uint64 {
	if segSize == 0 {
		segSize = DefaultWALSegmentSize
	}
	return (1 << 32) / segSize
}

// DefaultWALSegmentSize is PostgreSQL's default wal_segment_size.
const DefaultWALSegmentSize = 16 << 20

// WALFileName is PostgreSQL's XLogFileName: the segment segNo of timeline tl.
func WALFileName(tl uint32, segNo, segSize uint64) string {
	per := segmentsPerLogID(segSize)
	return fmt.Sprintf("%08X%08X%08X", tl, uint32(segNo/per), uint32(segNo%per))
}

// LogSegmentInfo is the authenticated header of a stored log file.
type LogSegmentInfo struct {
	// Object is the storage name the header was sealed for.
	Object string `json:"name"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Frames is how many sealed frames hold the content.
	Frames int `json:"frames"`
	// ContentID is the keyed BLAKE3 of the content, as for chunks: two
	// pushes of the same file have the same ContentID.
	ContentID ID `json:"id"`
	// Archived is when the file was stored (the writer's clock).
	Archived time.Time `json:"archived"`
	LogRange
}

// LogRange is what a log file covers, as far as its writer could tell.
type LogRange struct {
	// Start and End are positions (PostgreSQL: LSNs) of the file's first
	// byte and one past its last byte; zero when unknown.
	Start uint64 `json:"start,omitempty"`
	End   uint64 `json:"end,omitempty"`
	// FirstCommit and LastCommit are the timestamps of the first and last
	// transaction commit or abort recorded in the file; nil when it holds
	// none or they were not read.
	FirstCommit *time.Time `json:"firstCommit,omitempty"`
	LastCommit  *time.Time `json:"lastCommit,omitempty"`
}
