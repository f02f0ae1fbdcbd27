package catalog

import "time"

// Backup types.
const (
	BackupFull         = "full"
	BackupIncremental  = "incremental"
	BackupDifferential = "differential"
)

// Backup statuses. A backup is created pending, runs, and ends completed,
// failed or cancelled; deletion moves a completed backup to deleting and
// then deleted (the row stays for history).
const (
	BackupPending   = "pending"
	BackupRunning   = "running"
	BackupCompleted = "completed"
	BackupFailed    = "failed"
	BackupCancelled = "cancelled"
	BackupDeleting  = "deleting"
	BackupDeleted   = "deleted"
)

// Backup is one backup of one source.
type Backup struct {
	ID                string
	SourceID          string
	SourceName        string
	SourceType        string
	Type              string
	Status            string
	AgentID           string
	StorageLocationID string
	SnapshotID        string
	ParentBackupID    string
	ScheduleID        string
	// JobID is the job that runs the backup; set by CreateBackup.
	JobID        string
	SizeBytes    int64
	StoredBytes  int64
	EntryCount   int64
	Compression  bool
	Encryption   bool
	IncludeFiles bool
	// ScheduledFor delays the job: it is not claimed before this time.
	ScheduledFor time.Time
	StartedAt    time.Time
	CompletedAt  time.Time
	CreatedAt    time.Time
	Error        string
	Metadata     map[string]any
	// IdempotencyKey, when set, makes CreateBackup return the existing
	// backup with the same key instead of creating another.
	IdempotencyKey string
}

// BackupFilter selects backups for ListBackups. Empty fields match all.
type BackupFilter struct {
	// Source matches the source ID or name.
	Source string
	Type   string
	Status string
	// CreatedFrom and CreatedBefore bound CreatedAt: From <= t < Before.
	CreatedFrom   time.Time
	CreatedBefore time.Time
	Page          Page
}

// BackupResult is what a successful backup attempt recorded.
type BackupResult struct {
	SnapshotID  string
	SizeBytes   int64
	StoredBytes int64
	EntryCount  int64
	Metadata    map[string]any
}

// Verification kinds and statuses.
const (
	VerifyStructural = "structural"
	VerifyDeep       = "deep"
	VerifyRestore    = "restore"

	VerificationPending = "pending"
	VerificationRunning = "running"
	VerificationPassed  = "passed"
	VerificationFailed  = "failed"
)

// BackupVerification is one integrity check of a backup.
type BackupVerification struct {
	ID                  string
	BackupID            string
	Kind                string
	Status              string
	AgentID             string
	JobID               string
	StartedAt           time.Time
	CompletedAt         time.Time
	CreatedAt           time.Time
	Error               string
	RecoveryTimeSeconds float64
	Details             map[string]any
}

// VerifyResult is what a verification attempt recorded.
type VerifyResult struct {
	Passed              bool
	RecoveryTimeSeconds float64
	Details             map[string]any
}
