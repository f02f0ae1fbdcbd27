package pgwal

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// HistoryEntry is one line of a timeline history file: timeline
// Parent was left at SwitchLSN.
type HistoryEntry struct {
	Parent    uint32
	SwitchLSN LSN
	Reason    string
}

// maxHistoryLines bounds what ParseHistory accepts from storage.
const maxHistoryLines = 100000

// ParseHistory parses a TTTTTTTT.history file: one "parentTLI<TAB>switchLSN
// <TAB>reason" line per ancestor, oldest first; blank lines and # comments
// are skipped, as PostgreSQL does. Parents must increase.
func ParseHistory(data []byte) ([]HistoryEntry, error) {
	var out []HistoryEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		if len(out) >= maxHistoryLines {
			return nil, fmt.Errorf("history: more than %d entries", maxHistoryLines)
		}
		fields := strings.SplitN(text, "\t", 3)
		if len(fields) < 2 {
			return nil, fmt.Errorf("history line %d: want timeline, switch point and reason", line)
		}
		tl, err := strconv.ParseUint(strings.TrimSpace(fields[0]), 10, 32)
		if err != nil || tl == 0 {
			return nil, fmt.Errorf("history line %d: invalid timeline %q", line, fields[0])
		}
		lsn, err := ParseLSN(fields[1])
		if err != nil {
			return nil, fmt.Errorf("history line %d: %w", line, err)
		}
		if n := len(out); n > 0 && (uint32(tl) <= out[n-1].Parent || lsn < out[n-1].SwitchLSN) {
			return nil, fmt.Errorf("history line %d: timelines and switch points must increase", line)
		}
		e := HistoryEntry{Parent: uint32(tl), SwitchLSN: lsn}
		if len(fields) == 3 {
			e.Reason = strings.TrimSpace(fields[2])
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return out, nil
}

// BackupLabel holds the fields of a backup_label file Coffer uses.
type BackupLabel struct {
	StartLSN      LSN
	StartFile     string
	CheckpointLSN LSN
	Timeline      uint32
	Label         string
	StartTime     string
}

// ParseBackupLabel reads the "KEY: value" lines of a backup_label.
func ParseBackupLabel(data []byte) (BackupLabel, error) {
	var b BackupLabel
	if len(data) > 1<<20 {
		return b, fmt.Errorf("backup_label: %d bytes is too long", len(data))
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch key {
		case "START WAL LOCATION":
			// "0/2000028 (file 000000010000000000000002)"
			lsn, rest, _ := strings.Cut(val, " ")
			v, err := ParseLSN(lsn)
			if err != nil {
				return b, fmt.Errorf("backup_label START WAL LOCATION: %w", err)
			}
			b.StartLSN = v
			b.StartFile = strings.TrimSuffix(strings.TrimPrefix(rest, "(file "), ")")
		case "CHECKPOINT LOCATION":
			v, err := ParseLSN(val)
			if err != nil {
				return b, fmt.Errorf("backup_label CHECKPOINT LOCATION: %w", err)
			}
			b.CheckpointLSN = v
		case "START TIMELINE":
			v, err := strconv.ParseUint(strings.TrimSpace(val), 10, 32)
			if err != nil {
				return b, fmt.Errorf("backup_label START TIMELINE: %w", err)
			}
			b.Timeline = uint32(v)
		case "LABEL":
			b.Label = val
		case "START TIME":
			b.StartTime = val
		}
	}
	if b.StartLSN == 0 {
		return b, fmt.Errorf("backup_label has no START WAL LOCATION")
	}
	return b, nil
}
