package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	"github.com/cofferhq/coffer/internal/repo"
)

// PhysicalMeta is a physical backup's snapshot metadata: everything a
// restore needs besides the files (docs: the snapshot's "metadata").
type PhysicalMeta struct {
	Method string `json:"method"` // "physical"
	// Type is full, incremental (files reused by metadata) or delta
	// (every file re-read and checksummed against the parent).
	Type             string       `json:"type"`
	Stream           string       `json:"stream"`
	Label            string       `json:"label"`
	ServerVersion    string       `json:"serverVersion"`
	ServerVersionNum int          `json:"serverVersionNum"`
	SystemID         string       `json:"systemIdentifier"`
	DataDirectory    string       `json:"dataDirectory"`
	Tablespaces      []Tablespace `json:"tablespaces,omitempty"`
	WALSegmentSize   uint64       `json:"walSegmentSize"`
	Timeline         uint32       `json:"timeline"`
	StartLSN         pgwal.LSN    `json:"startLsn"`
	StopLSN          pgwal.LSN    `json:"stopLsn"`
	// StartWAL and StopWAL are the first and last segments the backup
	// needs to be consistent; all of them were in the repository before
	// the snapshot was written.
	StartWAL string `json:"startWal"`
	StopWAL  string `json:"stopWal"`
	// StartTime and StopTime are the database clock at pg_backup_start
	// and pg_backup_stop: the backup can restore to any time from
	// StopTime on.
	StartTime     time.Time      `json:"startTime"`
	StopTime      time.Time      `json:"stopTime"`
	BackupLabel   string         `json:"backupLabel"`
	TablespaceMap string         `json:"tablespaceMap,omitempty"`
	Databases     []DatabaseInfo `json:"databases"`
	PageChunkSize int            `json:"pageChunkSize"`
}

// Tablespace is one user tablespace.
type Tablespace struct {
	OID      uint32 `json:"oid"`
	Name     string `json:"name"`
	Location string `json:"location"`
}

// DatabaseInfo is a database as the backup saw it. Tables (with exact row
// counts) are recorded by logical backups, whose counts come from the
// dump's own snapshot.
type DatabaseInfo struct {
	Name   string       `json:"name"`
	OID    uint32       `json:"oid,omitempty"`
	Tables []TableCount `json:"tables,omitempty"`
	// File is the dump's snapshot path (logical).
	File string `json:"file,omitempty"`
}

// TableCount is one table and its row count.
type TableCount struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
}

// LogicalMeta is a logical backup's snapshot metadata.
type LogicalMeta struct {
	Method           string         `json:"method"` // "logical"
	Format           string         `json:"format"` // "custom" (pg_dump -Fc)
	Stream           string         `json:"stream"`
	ServerVersion    string         `json:"serverVersion"`
	ServerVersionNum int            `json:"serverVersionNum"`
	ToolVersion      string         `json:"toolVersion"`
	StartTime        time.Time      `json:"startTime"`
	StopTime         time.Time      `json:"stopTime"`
	Globals          string         `json:"globals"` // snapshot path of pg_dumpall --globals-only
	Databases        []DatabaseInfo `json:"databases"`
}

// Meta is the decoded metadata of a snapshot this driver wrote: exactly
// one of Physical and Logical is set.
type Meta struct {
	Physical *PhysicalMeta
	Logical  *LogicalMeta
}

// DecodeMeta reads the driver's metadata from a snapshot.
func DecodeMeta(sn *repo.Snapshot) (Meta, error) {
	var probe struct {
		Method string `json:"method"`
	}
	if err := json.Unmarshal(sn.Metadata, &probe); err != nil {
		return Meta{}, fmt.Errorf("snapshot metadata: %w", err)
	}
	switch {
	case sn.Kind == KindPhysical && probe.Method == MethodPhysical:
		var m PhysicalMeta
		if err := json.Unmarshal(sn.Metadata, &m); err != nil {
			return Meta{}, fmt.Errorf("physical backup metadata: %w", err)
		}
		return Meta{Physical: &m}, nil
	case sn.Kind == KindLogical && probe.Method == MethodLogical:
		var m LogicalMeta
		if err := json.Unmarshal(sn.Metadata, &m); err != nil {
			return Meta{}, fmt.Errorf("logical backup metadata: %w", err)
		}
		return Meta{Logical: &m}, nil
	}
	return Meta{}, fmt.Errorf("snapshot of kind %q is not a PostgreSQL backup", sn.Kind)
}
