package gcs

import (
	"errors"
	"strings"
	"time"
)

// Config selects a bucket and says how to reach it.
type Config struct {
	Bucket string
	// Prefix is prepended (with a "/") to every object name.
	Prefix string
	// CredentialsFile is a service-account JSON key file. Empty uses
	// Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
	// gcloud, metadata server) unless Endpoint is set.
	CredentialsFile string
	// Endpoint is the base URL of an emulator, e.g. http://127.0.0.1:4443
	// (what STORAGE_EMULATOR_HOST holds); requests go unauthenticated.
	Endpoint string
	// ProjectID owns buckets that Create makes.
	ProjectID string
	// ChunkSize is the resumable upload piece size (default 8 MiB); each
	// upload buffers one piece.
	ChunkSize int
	// ChunkRetryDeadline bounds the retries of one upload piece (default:
	// the client's 32s).
	ChunkRetryDeadline time.Duration
	// ListPageSize is the number of objects per list request (default 1000).
	ListPageSize int
	// StorageClass such as NEARLINE or COLDLINE; empty keeps the bucket default.
	StorageClass string
	// MaxAttempts bounds the client's own retries per request (default 3).
	MaxAttempts int
}

func (c *Config) validate() error {
	if c.Bucket == "" {
		return errors.New("gcs: bucket is empty")
	}
	return nil
}

func (c *Config) withDefaults() {
	c.Prefix = strings.Trim(c.Prefix, "/")
	c.Endpoint = strings.TrimSuffix(c.Endpoint, "/")
	if c.Endpoint != "" && !strings.Contains(c.Endpoint, "://") {
		c.Endpoint = "http://" + c.Endpoint
	}
	if c.ChunkSize == 0 {
		c.ChunkSize = 8 << 20
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
}
