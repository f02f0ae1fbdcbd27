package runner

import (
	"context"
	"log/slog"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
)

// Source backs up and restores one configured source. A driver must honour
// ctx promptly (cancel and abort rely on it) and must return an error, never
// a result, when the data it saved is incomplete.
type Source interface {
	Backup(ctx context.Context, job *BackupJob) (*BackupOutput, error)
	Restore(ctx context.Context, job *RestoreJob) (*RestoreOutput, error)
}

// SourceFactory makes a Source from its spec (type-specific config and
// secrets). It validates the config; errors are reported as bad config.
type SourceFactory func(spec *cofferv1.SourceSpec) (Source, error)

// Progress is a driver's view of how far it has come. The runner turns the
// latest one into a JobProgressReport on its own ticker.
type Progress struct {
	Phase                     cofferv1.JobPhase
	BytesDone, BytesTotal     int64
	EntriesDone, EntriesTotal int64
	BytesWritten              int64
	// Rate is bytes per second; ETA is negative when unknown.
	Rate float64
	ETA  time.Duration
}

// BackupJob is what a driver gets for one backup attempt.
type BackupJob struct {
	Repo *repo.Repository
	// Parent is the snapshot to compare against (incremental and
	// differential backups); nil reads everything.
	Parent   *repo.Snapshot
	ParentID *repo.ID
	// BackupID is the catalog's backup ID, recorded as a tag.
	BackupID string
	// Type is "full", "incremental" or "differential".
	Type     string
	Tags     []string
	Hostname string
	Progress func(Progress)
	Now      func() time.Time
	Log      *slog.Logger
}

// BackupOutput is a saved snapshot.
type BackupOutput struct {
	SnapshotID repo.ID
	Snapshot   *repo.Snapshot
	// Entries is how many entries (files, links, tables...) the snapshot
	// holds; reported as BackupResult.entry_count.
	Entries int64
	// Metadata is recorded as Backup.metadata (tool versions, positions).
	Metadata map[string]any
}

// RestoreJob is what a driver gets for one restore attempt.
type RestoreJob struct {
	Repo           *repo.Repository
	SnapshotID     repo.ID
	Snapshot       *repo.Snapshot
	TargetPath     string
	TargetDatabase string
	PointInTime    *time.Time
	// RecoveryTarget is where log replay stops: "end" (or empty),
	// "immediate" (the backup's consistency point) or "time" (PointInTime).
	RecoveryTarget string
	Overwrite      bool
	// ValidateOnly checks that the restore could run without writing.
	ValidateOnly bool
	Progress     func(Progress)
	// Step records the state of a named plan step ("running",
	// "completed", "failed", "skipped").
	Step func(name, status, message string)
	Now  func() time.Time
	Log  *slog.Logger
}

// RestoreOutput is a finished restore.
type RestoreOutput struct {
	// RecoveredTo is the last transaction time replayed (point in time).
	RecoveredTo *time.Time
}
