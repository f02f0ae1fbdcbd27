package catalog

import "time"

// Overlap policies: what a schedule does when a run is due while its
// previous run still runs.
const (
	OverlapSkip  = "skip"
	OverlapQueue = "queue"
)

// BackupSchedule runs backups of Sources on a cron expression in Timezone.
type BackupSchedule struct {
	ID                string
	Name              string
	CronExpression    string
	Timezone          string
	BackupType        string
	Sources           []string
	Enabled           bool
	Retention         Retention
	OverlapPolicy     string
	JitterSeconds     int
	StorageLocationID string
	// NextRun is persisted by the scheduler (SetScheduleRuns); zero when
	// not yet computed or disabled.
	NextRun        time.Time
	LastRun        time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IdempotencyKey string
}

// Retention is a schedule's keep policy. Zero fields disable their rule.
type Retention struct {
	Days            int `json:"days,omitempty"`
	KeepLast        int `json:"keepLast,omitempty"`
	KeepHourly      int `json:"keepHourly,omitempty"`
	KeepDaily       int `json:"keepDaily,omitempty"`
	KeepWeekly      int `json:"keepWeekly,omitempty"`
	KeepMonthly     int `json:"keepMonthly,omitempty"`
	KeepYearly      int `json:"keepYearly,omitempty"`
	PITRWindowHours int `json:"pitrWindowHours,omitempty"`
}

// ScheduleRun records that a schedule fired at FireTime. (ScheduleID,
// FireTime) is unique, so a run fires once even across leader changes.
type ScheduleRun struct {
	ScheduleID string
	FireTime   time.Time
	BackupIDs  []string
	CreatedAt  time.Time
}
