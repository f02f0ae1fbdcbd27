package catalog

import "time"

// Recovery job statuses (the same words as job states use).
const (
	RecoveryPending   = "pending"
	RecoveryRunning   = "running"
	RecoveryCompleted = "completed"
	RecoveryFailed    = "failed"
	RecoveryCancelled = "cancelled"
)

// Recovery targets: where WAL replay of a physical restore stops. Restores
// without log replay (files, logical dumps) have none ("").
const (
	RecoveryTargetEnd       = "end"       // the end of the archive
	RecoveryTargetImmediate = "immediate" // the backup's consistency point
	RecoveryTargetTime      = "time"      // PointInTime
)

// RecoveryJob is one restore (or restore validation). Its progress and plan
// steps live on its Job (JobID).
type RecoveryJob struct {
	ID             string
	BackupID       string
	SourceID       string
	AgentID        string
	Status         string
	TargetDatabase string
	TargetPath     string
	PointInTime    time.Time
	// RecoveryTarget is one of the RecoveryTarget constants, or "".
	RecoveryTarget    string
	ValidateOnly      bool
	OverwriteExisting bool
	JobID             string
	CreatedAt         time.Time
	StartedAt         time.Time
	CompletedAt       time.Time
	// RecoveredTo is the last transaction time replayed (point in time).
	RecoveredTo    time.Time
	Error          string
	IdempotencyKey string
}

// RecoveryFilter selects recovery jobs. Empty fields match all.
type RecoveryFilter struct {
	Status   string
	BackupID string
	Page     Page
}

// RestoreResult is what a successful restore attempt recorded.
type RestoreResult struct {
	RecoveredTo time.Time
}
