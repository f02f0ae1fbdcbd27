package catalog

import "time"

// Source types.
const (
	SourceFiles    = "files"
	SourcePostgres = "postgres"
	SourceMySQL    = "mysql"
	SourceMongoDB  = "mongodb"
)

// Source is a named thing to back up, owned by one agent.
type Source struct {
	ID      string
	Name    string
	Type    string
	AgentID string
	// Config is the type-specific, non-secret configuration.
	Config map[string]any
	// Secrets is ciphertext produced by the controller; opaque here.
	Secrets []byte
	// SecretKeys names the secrets inside Secrets (not secret themselves), so
	// the API can say which are set without decrypting.
	SecretKeys        []string
	StorageLocationID string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	IdempotencyKey    string
}

// SourceFilter selects sources. Empty fields match all.
type SourceFilter struct {
	Type    string
	AgentID string
	Page    Page
}

// StorageLocation is where a repository lives.
type StorageLocation struct {
	ID      string
	Name    string
	URL     string
	Options map[string]string
	// Credentials is ciphertext produced by the controller; opaque here.
	Credentials    []byte
	CredentialKeys []string
	// IsDefault: at most one location is the default; making one default
	// clears the flag on the others.
	IsDefault      bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IdempotencyKey string
}
