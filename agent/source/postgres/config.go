package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Type is the SourceSpec.type this driver handles.
const Type = "postgres"

// Backup methods.
const (
	MethodPhysical = "physical"
	MethodLogical  = "logical"
)

// Snapshot kinds written by this driver.
const (
	KindPhysical = "postgres-physical"
	KindLogical  = "postgres-logical"
)

// Config is a PostgreSQL source's settings (SourceSpec.config). The
// password is not here: it comes from the source's secrets ("password")
// or from Passfile.
type Config struct {
	// Name is the source's name; WAL is archived under it.
	Name string `json:"-"`
	// Host is a host name or a Unix socket directory (default: the
	// socket directory /var/run/postgresql).
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	User string `json:"user,omitempty"`
	// Database is the database to connect to for control queries
	// (default postgres).
	Database string `json:"database,omitempty"`
	// Passfile is a libpq password file, used when no password secret is
	// given.
	Passfile string `json:"passfile,omitempty"`
	SSLMode  string `json:"sslMode,omitempty"`
	// Method is physical (default) or logical.
	Method string `json:"method,omitempty"`
	// DataDir is the cluster's data directory, read locally by physical
	// backups; it must be the server's data_directory.
	DataDir string `json:"dataDir,omitempty"`
	// Databases limits logical backups; empty means every database that
	// accepts connections.
	Databases []string `json:"databases,omitempty"`
	// BinDir holds pg_dump, pg_restore, pg_dumpall and, for restore tests,
	// postgres and initdb. Default /usr/lib/postgresql/<server major>/bin.
	BinDir string `json:"binDir,omitempty"`
	// Jobs is pg_restore's --jobs (default 2).
	Jobs int `json:"jobs,omitempty"`
	// PageChunkSize is the fixed chunk size for relation files (default
	// 1 MiB, a multiple of the 8 KiB page). Every chunk is compressed on
	// its own, so larger chunks give zstd more context: on pgbench scale
	// 100 the two backups of scripts/bench-postgres.sh take 147.3 MB with
	// 256 KiB chunks, 142.7 MB with 1 MiB and 141.5 MB with 2 MiB
	// (pgBackRest, compressing whole files: 140.8 MB), with no more CPU
	// per byte. A changed page costs one chunk, so 1 MiB keeps most of the
	// gain at half the cost of 2 MiB per scattered change.
	PageChunkSize int `json:"pageChunkSize,omitempty"`
	// Delta makes incremental backups re-read and checksum every file
	// instead of trusting size and times (pgBackRest's --delta).
	Delta bool `json:"delta,omitempty"`
	// WALTimeoutSeconds bounds the wait for the WAL a physical backup needs
	// to reach the repository (default 300).
	WALTimeoutSeconds int `json:"walTimeoutSeconds,omitempty"`
	// Archive names how archive_command and restore_command reach the
	// repository: the coffer binary, repository and key file (needed for
	// restores that replay WAL, and checked against archive_command).
	Archive ArchiveConfig `json:"archive,omitempty"`
}

// ArchiveConfig is what wal-push and wal-fetch are run with.
type ArchiveConfig struct {
	// Coffer is the coffer binary PostgreSQL runs (default: this binary).
	Coffer  string `json:"coffer,omitempty"`
	Repo    string `json:"repo,omitempty"`
	KeyFile string `json:"keyFile,omitempty"`
}

const (
	defaultPageChunk  = 1 << 20
	defaultWALTimeout = 5 * time.Minute
	pageSize          = 8192
)

// DecodeConfig decodes a source's config as the API carries it (JSON
// object) and checks it; unknown fields and bad values are errors naming
// the field. The controller calls it when a source is registered, the
// agent when it runs one.
func DecodeConfig(name string, raw map[string]any) (Config, error) {
	var cfg Config
	if raw != nil {
		b, err := json.Marshal(raw)
		if err != nil {
			return cfg, fmt.Errorf("postgres source config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return cfg, fmt.Errorf("postgres source config: %w", err)
		}
	}
	cfg.Name = name
	return cfg, cfg.Check()
}

// Check validates the config and fills defaults; errors name the field.
func (c *Config) Check() error {
	if c.Method == "" {
		c.Method = MethodPhysical
	}
	if c.Method != MethodPhysical && c.Method != MethodLogical {
		return fmt.Errorf("postgres source config: method %q: want physical or logical", c.Method)
	}
	if c.Host == "" {
		c.Host = "/var/run/postgresql"
	}
	if c.Port == 0 {
		c.Port = 5432
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("postgres source config: port %d out of range", c.Port)
	}
	if c.User == "" {
		c.User = "postgres"
	}
	if c.Database == "" {
		c.Database = "postgres"
	}
	if c.Method == MethodPhysical {
		if c.DataDir == "" {
			return errors.New("postgres source config: dataDir is required for physical backups")
		}
		if !filepath.IsAbs(c.DataDir) {
			return fmt.Errorf("postgres source config: dataDir %q must be an absolute path", c.DataDir)
		}
		c.DataDir = filepath.Clean(c.DataDir)
	}
	if c.BinDir != "" && !filepath.IsAbs(c.BinDir) {
		return fmt.Errorf("postgres source config: binDir %q must be an absolute path", c.BinDir)
	}
	if c.Jobs < 0 || c.Jobs > 64 {
		return fmt.Errorf("postgres source config: jobs %d: want 1..64", c.Jobs)
	}
	if c.Jobs == 0 {
		c.Jobs = 2
	}
	if c.PageChunkSize == 0 {
		c.PageChunkSize = defaultPageChunk
	}
	if c.PageChunkSize < pageSize || c.PageChunkSize > 4<<20 || c.PageChunkSize%pageSize != 0 {
		return fmt.Errorf("postgres source config: pageChunkSize %d: want a multiple of 8192 up to 4 MiB", c.PageChunkSize)
	}
	if c.WALTimeoutSeconds < 0 {
		return fmt.Errorf("postgres source config: walTimeoutSeconds %d is negative", c.WALTimeoutSeconds)
	}
	return nil
}

func (c *Config) walTimeout() time.Duration {
	if c.WALTimeoutSeconds == 0 {
		return defaultWALTimeout
	}
	return time.Duration(c.WALTimeoutSeconds) * time.Second
}
