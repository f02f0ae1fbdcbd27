package catalog

import "time"

// JobKind says what a job does; it names the table its subject lives in.
type JobKind string

const (
	JobBackup  JobKind = "backup"  // subject: backups
	JobRestore JobKind = "restore" // subject: recovery_jobs
	JobVerify  JobKind = "verify"  // subject: backup_verifications
)

// JobState is where a job is in its life:
//
//	queued -> running -> succeeded | failed | cancelled
//	running -> queued   (attempt lost or failed retryably, attempts left)
//	queued  -> cancelled (cancel before a claim)
type JobState string

const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Terminal reports whether no further attempt will run.
func (s JobState) Terminal() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// AttemptState is where one attempt is. An attempt is "lost" when its lease
// expired without a result.
type AttemptState string

const (
	AttemptRunning   AttemptState = "running"
	AttemptSucceeded AttemptState = "succeeded"
	AttemptFailed    AttemptState = "failed"
	AttemptCancelled AttemptState = "cancelled"
	AttemptLost      AttemptState = "lost"
)

// DefaultMaxAttempts is used when a job is created with MaxAttempts 0.
const DefaultMaxAttempts = 3

// Job is one unit of agent work with its current attempt.
type Job struct {
	ID   string
	Kind JobKind
	// SubjectID is the backup, recovery job or verification the job runs.
	SubjectID string
	SourceID  string
	// AgentID is the only agent that may claim the job.
	AgentID string
	State   JobState
	// Attempt is the number of the current (or last) attempt; 0 before the
	// first claim.
	Attempt int
	// Epoch is the fencing epoch of the current attempt; every claim
	// increments it, so a stale agent's messages are recognisable.
	Epoch          int64
	LeaseExpiresAt time.Time
	MaxAttempts    int
	// NotBefore delays the first claim (scheduled backups).
	NotBefore       time.Time
	CancelRequested bool
	Progress        Progress
	Error           string
	IdempotencyKey  string
	CreatedAt       time.Time
	StartedAt       time.Time
	FinishedAt      time.Time
}

// Progress is the latest progress report of a job's current attempt.
type Progress struct {
	Phase              string
	BytesDone          int64
	BytesTotal         int64
	EntriesDone        int64
	EntriesTotal       int64
	BytesWritten       int64
	RateBytesPerSecond float64
	ETASeconds         int64
	Percent            float64
	// Sequence orders reports within an attempt; older ones are ignored.
	Sequence int64
	// Steps are the plan steps of a restore.
	Steps []Step
	// ReportedAt is when the last report was accepted (database clock).
	ReportedAt time.Time
	// MovedAt is when BytesDone or BytesWritten last increased; a running
	// attempt whose MovedAt is old is stalled even if it still reports.
	MovedAt time.Time
}

// Step is one step of a restore plan.
type Step struct {
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	StartedAt   time.Time `json:"startedAt,omitzero"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
	Message     string    `json:"message,omitempty"`
}

// AttemptRef names one attempt of one job as an agent knows it.
type AttemptRef struct {
	JobID   string
	Attempt int
	Epoch   int64
	// AgentID is the agent speaking; an attempt of another agent is stale.
	AgentID string
}

// Attempt is one try at running a job.
type Attempt struct {
	JobID          string
	Attempt        int
	Epoch          int64
	AgentID        string
	State          AttemptState
	StartedAt      time.Time
	LeaseExpiresAt time.Time
	FinishedAt     time.Time
	Error          string
}

// Outcome is how an agent says an attempt ended.
type Outcome string

const (
	OutcomeSucceeded Outcome = "succeeded"
	OutcomeFailed    Outcome = "failed"
	OutcomeCancelled Outcome = "cancelled"
)

// AttemptResult ends an attempt. At most one of Backup, Restore and Verify is
// set, matching the job's kind, and only for OutcomeSucceeded.
type AttemptResult struct {
	Outcome Outcome
	Error   string
	// Retryable lets a failed attempt requeue the job while attempts remain.
	Retryable bool
	// Progress, when non-nil, replaces the job's last progress.
	Progress *Progress
	Backup   *BackupResult
	Restore  *RestoreResult
	Verify   *VerifyResult
}

// JobFilter selects jobs. Empty fields match all.
type JobFilter struct {
	AgentID string
	Kind    JobKind
	States  []JobState
	Page    Page
}
