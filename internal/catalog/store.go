package catalog

import (
	"context"
	"time"
)

// Store is the whole catalog. Consumers should depend on the narrower
// interfaces they use.
type Store interface {
	Clock
	BackupStore
	RecoveryStore
	VerificationStore
	ScheduleStore
	SourceStore
	StorageLocationStore
	AgentStore
	JoinTokenStore
	APITokenStore
	JobStore
	LeaderStore
	AuditStore
	WALArchiveStore
	// Close releases the database connections.
	Close() error
}

// Clock is the database clock, the only clock for leases.
type Clock interface {
	// Now returns the database server's current time (UTC, microseconds).
	Now(ctx context.Context) (time.Time, error)
}

// BackupStore keeps backups. Creating a backup also queues the job that runs
// it, in the same transaction.
type BackupStore interface {
	// CreateBackup stores b (ID, CreatedAt, Status pending and JobID are
	// assigned) and queues its job for b.AgentID, not before b.ScheduledFor.
	// With an IdempotencyKey that exists already it returns the existing
	// backup and created=false.
	CreateBackup(ctx context.Context, b Backup) (_ Backup, created bool, _ error)
	// ImportBackup stores b as given (status, times, snapshot) without a
	// job, e.g. when the catalog is rebuilt from a repository. Empty ID,
	// Status and CreatedAt are assigned (pending, database now). A repeated
	// IdempotencyKey returns the existing backup and created=false.
	ImportBackup(ctx context.Context, b Backup) (_ Backup, created bool, _ error)
	GetBackup(ctx context.Context, id string) (Backup, error)
	// ListBackups returns one page, newest first, and the total matching.
	ListBackups(ctx context.Context, f BackupFilter) (_ []Backup, total int, _ error)
	// SetBackupStatus moves a backup to deleting/deleted (or another status
	// the controller owns); it does not touch the job.
	SetBackupStatus(ctx context.Context, id, status string) (Backup, error)
}

// RecoveryStore keeps restores; creating one also queues its job.
type RecoveryStore interface {
	CreateRecoveryJob(ctx context.Context, r RecoveryJob) (_ RecoveryJob, created bool, _ error)
	GetRecoveryJob(ctx context.Context, id string) (RecoveryJob, error)
	ListRecoveryJobs(ctx context.Context, f RecoveryFilter) (_ []RecoveryJob, total int, _ error)
}

// VerificationStore keeps backup verifications; creating one also queues
// its job.
type VerificationStore interface {
	CreateVerification(ctx context.Context, v BackupVerification) (BackupVerification, error)
	GetVerification(ctx context.Context, id string) (BackupVerification, error)
	// ListVerifications returns a backup's verifications, newest first.
	ListVerifications(ctx context.Context, backupID string) ([]BackupVerification, error)
}

// ScheduleStore keeps backup schedules and their runs.
type ScheduleStore interface {
	CreateSchedule(ctx context.Context, s BackupSchedule) (_ BackupSchedule, created bool, _ error)
	GetSchedule(ctx context.Context, id string) (BackupSchedule, error)
	ListSchedules(ctx context.Context, p Page) (_ []BackupSchedule, total int, _ error)
	// UpdateSchedule replaces the user-editable fields of s.ID (not NextRun
	// and LastRun, which belong to the scheduler).
	UpdateSchedule(ctx context.Context, s BackupSchedule) (BackupSchedule, error)
	DeleteSchedule(ctx context.Context, id string) error
	// DueSchedules returns enabled schedules whose NextRun is at or before now.
	DueSchedules(ctx context.Context, now time.Time) ([]BackupSchedule, error)
	// SetScheduleRuns persists the scheduler's next and last run times.
	SetScheduleRuns(ctx context.Context, id string, lastRun, nextRun time.Time) error
	// RecordScheduleRun stores a run once per (ScheduleID, FireTime); a
	// repeat returns the stored run and created=false.
	RecordScheduleRun(ctx context.Context, r ScheduleRun) (_ ScheduleRun, created bool, _ error)
}

// SourceStore keeps sources. Names are unique.
type SourceStore interface {
	CreateSource(ctx context.Context, s Source) (_ Source, created bool, _ error)
	GetSource(ctx context.Context, id string) (Source, error)
	GetSourceByName(ctx context.Context, name string) (Source, error)
	ListSources(ctx context.Context, f SourceFilter) (_ []Source, total int, _ error)
	// UpdateSource replaces the mutable fields of s.ID.
	UpdateSource(ctx context.Context, s Source) (Source, error)
	DeleteSource(ctx context.Context, id string) error
}

// StorageLocationStore keeps storage locations. Names are unique.
type StorageLocationStore interface {
	CreateStorageLocation(ctx context.Context, l StorageLocation) (_ StorageLocation, created bool, _ error)
	GetStorageLocation(ctx context.Context, id string) (StorageLocation, error)
	// DefaultStorageLocation returns the default location or ErrNotFound.
	DefaultStorageLocation(ctx context.Context) (StorageLocation, error)
	ListStorageLocations(ctx context.Context, p Page) (_ []StorageLocation, total int, _ error)
	UpdateStorageLocation(ctx context.Context, l StorageLocation) (StorageLocation, error)
	DeleteStorageLocation(ctx context.Context, id string) error
}

// AgentStore keeps enrolled agents. Names are unique.
type AgentStore interface {
	CreateAgent(ctx context.Context, a Agent) (Agent, error)
	GetAgent(ctx context.Context, id string) (Agent, error)
	ListAgents(ctx context.Context, p Page) (_ []Agent, total int, _ error)
	RenameAgent(ctx context.Context, id, name string) (Agent, error)
	// SetAgentCert records the agent's current certificate (enrollment,
	// renewal).
	SetAgentCert(ctx context.Context, id string, c AgentCert) (Agent, error)
	// TouchAgent records a hello or heartbeat: last seen, version and
	// capabilities (nil capabilities leave them unchanged).
	TouchAgent(ctx context.Context, id string, now time.Time, version string, capabilities []string) error
	// RevokeAgent sets RevokedAt (once; a repeat keeps the first time).
	RevokeAgent(ctx context.Context, id string, now time.Time) (Agent, error)
	DeleteAgent(ctx context.Context, id string) error
}

// JoinTokenStore keeps single-use enrollment tokens.
type JoinTokenStore interface {
	CreateJoinToken(ctx context.Context, t JoinToken) (JoinToken, error)
	// UseJoinToken atomically marks the token with this hash used. It
	// succeeds once; then ErrTokenUsed. An expired token gives
	// ErrTokenExpired, an unknown hash ErrNotFound.
	UseJoinToken(ctx context.Context, hash []byte, now time.Time) (JoinToken, error)
}

// APITokenStore keeps API tokens.
type APITokenStore interface {
	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	GetAPIToken(ctx context.Context, id string) (APIToken, error)
	// GetAPITokenByHash finds a token for authentication, revoked or not
	// (the caller checks RevokedAt and ExpiresAt).
	GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	ListAPITokens(ctx context.Context, f APITokenFilter) (_ []APIToken, total int, _ error)
	RevokeAPIToken(ctx context.Context, id string, now time.Time) (APIToken, error)
	TouchAPIToken(ctx context.Context, id string, now time.Time) error
}

// JobStore runs jobs as leased attempts. Every method that takes an
// AttemptRef fails with ErrStaleEpoch unless the ref names the job's current
// running attempt on that agent.
type JobStore interface {
	GetJob(ctx context.Context, id string) (Job, error)
	ListJobs(ctx context.Context, f JobFilter) (_ []Job, total int, _ error)
	ListAttempts(ctx context.Context, jobID string) ([]Attempt, error)
	// ClaimJob atomically moves the oldest claimable queued job of agentID to
	// running with a new attempt, epoch+1 and a lease until now+ttl, and
	// marks its subject running. Concurrent claimers never get the same
	// job. ErrNoJob when there is none.
	ClaimJob(ctx context.Context, agentID string, now time.Time, ttl time.Duration) (Job, error)
	// RenewLease extends the attempt's lease to now+ttl. ErrLeaseExpired if
	// it had already run out.
	RenewLease(ctx context.Context, ref AttemptRef, now time.Time, ttl time.Duration) (Job, error)
	// ReportProgress stores p (unless its Sequence is not newer) and renews
	// the lease like RenewLease.
	ReportProgress(ctx context.Context, ref AttemptRef, now time.Time, ttl time.Duration, p Progress) (Job, error)
	// FinishAttempt ends the attempt and, in the same transaction, the job
	// (or requeues it for a retryable failure with attempts left) and its
	// subject. Repeating the same result for an already finished attempt
	// returns the job unchanged (at-least-once delivery).
	FinishAttempt(ctx context.Context, ref AttemptRef, now time.Time, r AttemptResult) (Job, error)
	// ExpiredAttempts returns running attempts whose lease is before now.
	ExpiredAttempts(ctx context.Context, now time.Time) ([]Attempt, error)
	// StalledAttempts returns running attempts whose bytes have not moved
	// since before now-stall (their agent may still be reporting).
	StalledAttempts(ctx context.Context, now time.Time, stall time.Duration) ([]Attempt, error)
	// MarkAttemptLost ends an expired attempt as lost; the job is requeued
	// while attempts remain (and no cancel was requested), else failed or
	// cancelled, with its subject. ErrStaleEpoch if the attempt is no longer
	// current; ErrInvalidState if its lease has not expired at now.
	MarkAttemptLost(ctx context.Context, jobID string, attempt int, epoch int64, now time.Time, reason string) (Job, error)
	// RequestCancel cancels a queued job at once, or flags a running one
	// (CancelRequested) for the controller to tell its agent.
	// ErrInvalidState for a finished job.
	RequestCancel(ctx context.Context, jobID string, now time.Time, reason string) (Job, error)
}

// LeaderStore keeps named leader leases with fencing epochs.
type LeaderStore interface {
	// AcquireLeaderLease takes the lease for holder until now+ttl. A holder
	// that already holds an unexpired lease renews it at the same epoch; a
	// takeover of an expired or released lease increments the epoch.
	// ErrLeaseHeld while another holder's lease is unexpired.
	AcquireLeaderLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (LeaderLease, error)
	// RenewLeaderLease extends the lease if holder still holds it at epoch
	// and it has not expired; else ErrLeaseLost.
	RenewLeaderLease(ctx context.Context, name, holder string, epoch int64, now time.Time, ttl time.Duration) (LeaderLease, error)
	// ReleaseLeaderLease gives the lease up so another holder can take it
	// at once; ErrLeaseLost if holder no longer holds it at epoch.
	ReleaseLeaderLease(ctx context.Context, name, holder string, epoch int64) error
	GetLeaderLease(ctx context.Context, name string) (LeaderLease, error)
}

// AuditStore is the append-only audit log.
type AuditStore interface {
	// AppendAudit locks the log's tip, calls build with it, and appends the
	// entry build returns, which must have Seq tip.Seq+1 and PrevHash
	// tip.Hash (else ErrAuditChain). build runs inside the transaction: keep
	// it fast and free of I/O.
	AppendAudit(ctx context.Context, build func(tip AuditTip) (AuditEntry, error)) (AuditEntry, error)
	// ListAudit returns up to limit entries with Seq > afterSeq, in order.
	ListAudit(ctx context.Context, afterSeq int64, limit int) ([]AuditEntry, error)
}
