package api

import (
	"time"

	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

var ts = protoconv.TS

func backupProto(b catalog.Backup, job *catalog.Job) *cofferv1.Backup {
	out := &cofferv1.Backup{
		Id:                b.ID,
		SourceId:          b.SourceID,
		SourceName:        b.SourceName,
		SourceType:        b.SourceType,
		Type:              b.Type,
		Status:            b.Status,
		AgentId:           b.AgentID,
		StorageLocationId: b.StorageLocationID,
		SnapshotId:        b.SnapshotID,
		ParentBackupId:    b.ParentBackupID,
		ScheduleId:        b.ScheduleID,
		SizeBytes:         b.SizeBytes,
		StoredBytes:       b.StoredBytes,
		EntryCount:        b.EntryCount,
		Compression:       b.Compression,
		Encryption:        b.Encryption,
		IncludeFiles:      b.IncludeFiles,
		ScheduledFor:      ts(b.ScheduledFor),
		StartedAt:         ts(b.StartedAt),
		CompletedAt:       ts(b.CompletedAt),
		CreatedAt:         ts(b.CreatedAt),
		Error:             b.Error,
		Metadata:          protoconv.Struct(b.Metadata),
		JobId:             b.JobID,
	}
	if !b.StartedAt.IsZero() && !b.CompletedAt.IsZero() {
		out.DurationSeconds = b.CompletedAt.Sub(b.StartedAt).Seconds()
	}
	if job != nil {
		out.Progress = protoconv.Progress(job.Progress)
		if out.Error == "" && !job.State.Terminal() {
			out.Error = job.Error // why the previous attempt ended, while retrying
		}
	}
	return out
}

func backupRef(b catalog.Backup) *cofferv1.BackupRef {
	return &cofferv1.BackupRef{
		Id: b.ID, Type: b.Type, Status: b.Status, SnapshotId: b.SnapshotID,
		CreatedAt: ts(b.CreatedAt), CompletedAt: ts(b.CompletedAt),
	}
}

func recoveryProto(r catalog.RecoveryJob, job *catalog.Job, now time.Time) *cofferv1.RecoveryJob {
	out := &cofferv1.RecoveryJob{
		Id:                r.ID,
		BackupId:          r.BackupID,
		SourceId:          r.SourceID,
		Status:            r.Status,
		TargetDatabase:    r.TargetDatabase,
		TargetPath:        r.TargetPath,
		PointInTime:       ts(r.PointInTime),
		RecoveryTarget:    r.RecoveryTarget,
		ValidateOnly:      r.ValidateOnly,
		OverwriteExisting: r.OverwriteExisting,
		AgentId:           r.AgentID,
		CreatedAt:         ts(r.CreatedAt),
		StartedAt:         ts(r.StartedAt),
		CompletedAt:       ts(r.CompletedAt),
		Error:             r.Error,
		Steps:             []*cofferv1.RecoveryStep{},
	}
	if r.Status == catalog.RecoveryCompleted {
		out.Progress = 100
	}
	if job == nil {
		return out
	}
	out.Attempt = int32(job.Attempt)
	if out.Error == "" && !job.State.Terminal() {
		out.Error = job.Error
	}
	out.ProgressDetail = protoconv.Progress(job.Progress)
	out.Steps = protoconv.Steps(job.Progress.Steps)
	if r.Status != catalog.RecoveryCompleted {
		out.Progress = job.Progress.Percent
	}
	if r.Status == catalog.RecoveryRunning && job.Progress.ETASeconds > 0 {
		out.EstimatedCompletion = ts(now.Add(time.Duration(job.Progress.ETASeconds) * time.Second))
	}
	return out
}

func scheduleProto(s catalog.BackupSchedule) *cofferv1.BackupSchedule {
	return &cofferv1.BackupSchedule{
		Id:                s.ID,
		Name:              s.Name,
		CronExpression:    s.CronExpression,
		Timezone:          s.Timezone,
		BackupType:        s.BackupType,
		Sources:           nonNil(s.Sources),
		Enabled:           s.Enabled,
		RetentionDays:     int32(s.Retention.Days),
		KeepLast:          int32(s.Retention.KeepLast),
		KeepHourly:        int32(s.Retention.KeepHourly),
		KeepDaily:         int32(s.Retention.KeepDaily),
		KeepWeekly:        int32(s.Retention.KeepWeekly),
		KeepMonthly:       int32(s.Retention.KeepMonthly),
		KeepYearly:        int32(s.Retention.KeepYearly),
		PitrWindowHours:   int32(s.Retention.PITRWindowHours),
		OverlapPolicy:     s.OverlapPolicy,
		JitterSeconds:     int32(s.JitterSeconds),
		NextRun:           ts(s.NextRun),
		LastRun:           ts(s.LastRun),
		CreatedAt:         ts(s.CreatedAt),
		UpdatedAt:         ts(s.UpdatedAt),
		StorageLocationId: s.StorageLocationID,
	}
}

func sourceProto(s catalog.Source) *cofferv1.Source {
	return &cofferv1.Source{
		Id:                s.ID,
		Name:              s.Name,
		Type:              s.Type,
		AgentId:           s.AgentID,
		Config:            protoconv.Struct(s.Config),
		SecretKeys:        nonNil(s.SecretKeys),
		StorageLocationId: s.StorageLocationID,
		CreatedAt:         ts(s.CreatedAt),
		UpdatedAt:         ts(s.UpdatedAt),
	}
}

func locationProto(l catalog.StorageLocation) *cofferv1.StorageLocation {
	return &cofferv1.StorageLocation{
		Id:             l.ID,
		Name:           l.Name,
		Url:            l.URL,
		Options:        l.Options,
		CredentialKeys: nonNil(l.CredentialKeys),
		IsDefault:      l.IsDefault,
		CreatedAt:      ts(l.CreatedAt),
		UpdatedAt:      ts(l.UpdatedAt),
	}
}

func tokenProto(t catalog.APIToken) *cofferv1.ApiToken {
	return &cofferv1.ApiToken{
		Id:         t.ID,
		Name:       t.Name,
		Role:       t.Role,
		Scopes:     nonNil(t.Scopes),
		Prefix:     t.Prefix,
		CreatedAt:  ts(t.CreatedAt),
		ExpiresAt:  ts(t.ExpiresAt),
		LastUsedAt: ts(t.LastUsedAt),
		RevokedAt:  ts(t.RevokedAt),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
