package dispatch

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/cofferhq/coffer/controller/protoconv"
	"github.com/cofferhq/coffer/controller/repos"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// assignment builds the JobAssignment of a claimed attempt, secrets
// included: it is only ever sent on the agent's mTLS channel.
func (d *Dispatcher) assignment(ctx context.Context, job catalog.Job) (*cofferv1.JobAssignment, error) {
	a := &cofferv1.JobAssignment{
		JobId: job.ID, Attempt: int32(job.Attempt), Epoch: job.Epoch,
		LeaseExpiresAt: leaseOf(job), LeaseTtlSeconds: int32(d.cfg.LeaseTTL.Seconds()),
	}
	switch job.Kind {
	case catalog.JobBackup:
		spec, err := d.backupSpec(ctx, job.SubjectID)
		if err != nil {
			return nil, err
		}
		a.Kind, a.Spec = cofferv1.JobKind_JOB_KIND_BACKUP, &cofferv1.JobAssignment_Backup{Backup: spec}
	case catalog.JobRestore:
		spec, err := d.restoreSpec(ctx, job.SubjectID)
		if err != nil {
			return nil, err
		}
		a.Kind, a.Spec = cofferv1.JobKind_JOB_KIND_RESTORE, &cofferv1.JobAssignment_Restore{Restore: spec}
	case catalog.JobVerify:
		spec, err := d.verifySpec(ctx, job.SubjectID)
		if err != nil {
			return nil, err
		}
		a.Kind, a.Spec = cofferv1.JobKind_JOB_KIND_VERIFY, &cofferv1.JobAssignment_Verify{Verify: spec}
	default:
		return nil, fmt.Errorf("unknown job kind %q", job.Kind)
	}
	return a, nil
}

func (d *Dispatcher) backupSpec(ctx context.Context, backupID string) (*cofferv1.BackupSpec, error) {
	b, err := d.store.GetBackup(ctx, backupID)
	if err != nil {
		return nil, err
	}
	src, err := d.sourceSpec(ctx, b.SourceID)
	if err != nil {
		return nil, err
	}
	rs, err := d.repositorySpec(ctx, b.StorageLocationID)
	if err != nil {
		return nil, err
	}
	parent := ""
	if b.ParentBackupID != "" {
		p, err := d.store.GetBackup(ctx, b.ParentBackupID)
		if err == nil && p.Status == catalog.BackupCompleted {
			parent = p.SnapshotID
		}
	}
	tags := map[string]string{"backup": b.ID, "source": b.SourceName, "type": b.Type}
	if b.ScheduleID != "" {
		tags["schedule"] = b.ScheduleID
	}
	return &cofferv1.BackupSpec{
		BackupId: b.ID, Source: src, Repository: rs, Type: b.Type, ParentSnapshotId: parent,
		Compression: b.Compression, IncludeFiles: b.IncludeFiles, Tags: tags,
	}, nil
}

func (d *Dispatcher) restoreSpec(ctx context.Context, recoveryID string) (*cofferv1.RestoreSpec, error) {
	r, err := d.store.GetRecoveryJob(ctx, recoveryID)
	if err != nil {
		return nil, err
	}
	b, err := d.store.GetBackup(ctx, r.BackupID)
	if err != nil {
		return nil, err
	}
	src, err := d.sourceSpec(ctx, b.SourceID)
	if errors.Is(err, catalog.ErrNotFound) {
		// The source was deleted since the backup: restore from what the
		// backup recorded. Any other failure (catalog, sealer) is an error,
		// not a reason to run without the source's config and secrets.
		src = &cofferv1.SourceSpec{Id: b.SourceID, Name: b.SourceName, Type: b.SourceType}
	} else if err != nil {
		return nil, err
	}
	rs, err := d.repositorySpec(ctx, b.StorageLocationID)
	if err != nil {
		return nil, err
	}
	return &cofferv1.RestoreSpec{
		RecoveryJobId: r.ID, BackupId: b.ID, SnapshotId: b.SnapshotID, Source: src, Repository: rs,
		TargetDatabase: r.TargetDatabase, TargetPath: r.TargetPath, PointInTime: protoconv.TS(r.PointInTime),
		ValidateOnly: r.ValidateOnly, OverwriteExisting: r.OverwriteExisting, RecoveryTarget: r.RecoveryTarget,
	}, nil
}

func (d *Dispatcher) verifySpec(ctx context.Context, verificationID string) (*cofferv1.VerifySpec, error) {
	v, err := d.store.GetVerification(ctx, verificationID)
	if err != nil {
		return nil, err
	}
	b, err := d.store.GetBackup(ctx, v.BackupID)
	if err != nil {
		return nil, err
	}
	rs, err := d.repositorySpec(ctx, b.StorageLocationID)
	if err != nil {
		return nil, err
	}
	return &cofferv1.VerifySpec{VerificationId: v.ID, BackupId: b.ID, SnapshotId: b.SnapshotID, Repository: rs, Kind: v.Kind}, nil
}

func (d *Dispatcher) sourceSpec(ctx context.Context, id string) (*cofferv1.SourceSpec, error) {
	src, err := d.store.GetSource(ctx, id)
	if err != nil {
		return nil, err
	}
	secrets, err := d.sealer.Open(sealer.SourceSecrets, src.Secrets)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	return &cofferv1.SourceSpec{Id: src.ID, Name: src.Name, Type: src.Type, Config: protoconv.Struct(src.Config), Secrets: secrets}, nil
}

// repositorySpec names the location's repository. The repository key goes
// in key_material (key-file format, 64 hex characters); the other
// credentials are passed as they were given.
func (d *Dispatcher) repositorySpec(ctx context.Context, locationID string) (*cofferv1.RepositorySpec, error) {
	l, err := d.store.GetStorageLocation(ctx, locationID)
	if err != nil {
		return nil, err
	}
	creds, err := d.sealer.Open(sealer.StorageCredentials, l.Credentials)
	if err != nil {
		return nil, fmt.Errorf("storage location %s: %w", l.Name, err)
	}
	key := creds[repos.KeyCredential]
	if key == "" {
		return nil, fmt.Errorf("storage location %s has no repository key", l.Name)
	}
	delete(creds, repos.KeyCredential)
	return &cofferv1.RepositorySpec{
		StorageLocationId: l.ID, Url: l.URL, Options: maps.Clone(l.Options), Credentials: creds, KeyMaterial: []byte(key),
	}, nil
}
