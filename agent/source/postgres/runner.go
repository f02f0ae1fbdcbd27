package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// ParseConfig decodes and checks a postgres source's config; unknown
// fields and bad values are errors naming the field.
func ParseConfig(spec *cofferv1.SourceSpec) (Config, error) {
	var raw map[string]any
	if spec.GetConfig() != nil {
		raw = spec.GetConfig().AsMap()
	}
	return DecodeConfig(spec.GetName(), raw)
}

// driver adapts a Source to the agent's job runner.
type driver struct{ src *Source }

// New is the runner.SourceFactory for postgres sources. The password
// comes from the source's secrets ("password"), never from its config.
func New(spec *cofferv1.SourceSpec) (runner.Source, error) {
	cfg, err := ParseConfig(spec)
	if err != nil {
		return nil, err
	}
	src, err := NewSource(cfg, spec.GetSecrets()["password"])
	if err != nil {
		return nil, err
	}
	return &driver{src: src}, nil
}

func (d *driver) Backup(ctx context.Context, job *runner.BackupJob) (*runner.BackupOutput, error) {
	d.src.SetLogger(job.Log)
	if job.Now != nil {
		d.src.SetClock(job.Now)
	}
	opts := BackupOptions{Repo: job.Repo, Hostname: job.Hostname, Tags: job.Tags, Progress: func(p Progress) { job.Progress(runnerProgress(p)) }}
	if d.src.cfg.Method == MethodPhysical && job.Type != "full" && job.Parent != nil {
		opts.Parent, opts.ParentID, opts.Delta = job.Parent, job.ParentID, d.src.cfg.Delta
	}
	res, err := d.src.Backup(ctx, opts)
	if err != nil {
		if errors.Is(err, ErrPrerequisites) {
			return nil, runner.Errorf(runner.CodeSourceFailed, false, "%v", err)
		}
		return nil, err
	}
	var md map[string]any
	if err := json.Unmarshal(res.Snapshot.Metadata, &md); err != nil {
		return nil, err
	}
	md["tool"] = "coffer-postgres"
	return &runner.BackupOutput{SnapshotID: res.ID, Snapshot: res.Snapshot, Entries: res.Files, Metadata: md}, nil
}

func (d *driver) Restore(ctx context.Context, job *runner.RestoreJob) (*runner.RestoreOutput, error) {
	m, err := DecodeMeta(job.Snapshot)
	if err != nil {
		return nil, runner.Errorf(runner.CodeBadConfig, false, "%v", err)
	}
	rc, err := d.restoreCommand()
	if err != nil && m.Physical != nil {
		return nil, runner.Errorf(runner.CodeBadConfig, false, "%v", err)
	}
	progress := func(p Progress) { job.Progress(runnerProgress(p)) }
	if job.ValidateOnly {
		res, err := Verify(ctx, VerifyOptions{Repo: job.Repo, SnapshotID: job.SnapshotID, Snapshot: job.Snapshot,
			RestoreCommand: rc, BinDir: d.src.cfg.BinDir, Progress: progress, Step: job.Step})
		if err != nil {
			return nil, err
		}
		return &runner.RestoreOutput{RecoveredTo: res.RecoveredTo}, nil
	}
	if m.Logical != nil {
		_, err := d.src.RestoreLogical(ctx, LogicalRestoreOptions{Repo: job.Repo, Snapshot: job.Snapshot,
			TargetDatabase: job.TargetDatabase, Overwrite: job.Overwrite, Progress: progress, Step: job.Step})
		if errors.Is(err, ErrTargetExists) {
			return nil, runner.Errorf(runner.CodeTargetExists, false, "%v", err)
		}
		return &runner.RestoreOutput{}, err
	}
	target, err := recoveryTarget(job)
	if err != nil {
		return nil, runner.Errorf(runner.CodeBadConfig, false, "%v", err)
	}
	id := job.SnapshotID
	res, err := RestorePhysical(ctx, RestoreOptions{
		Repo: job.Repo, Stream: m.Physical.Stream, Snapshot: &id, Target: job.TargetPath, Overwrite: job.Overwrite,
		Recovery: target, RestoreCommand: rc, VerifyWAL: true, Progress: progress, Step: job.Step, Now: job.Now,
	})
	switch {
	case errors.Is(err, ErrTargetNotEmpty):
		return nil, runner.Errorf(runner.CodeTargetExists, false, "%v", err)
	case errors.Is(err, ErrOutsideWindow):
		return nil, runner.Errorf(runner.CodeBadConfig, false, "%v", err)
	case err != nil:
		return nil, err
	}
	job.Step(StepWALReplay, "skipped", "start PostgreSQL on "+res.Target+": it replays WAL to "+target.String()+" and promotes")
	return &runner.RestoreOutput{}, nil
}

// recoveryTarget maps the job's recovery target (RestoreSpec.recovery_target
// and point_in_time) to where PostgreSQL's replay stops.
func recoveryTarget(job *runner.RestoreJob) (RecoveryTarget, error) {
	switch job.RecoveryTarget {
	case "", TargetEnd, TargetTime:
		if job.PointInTime != nil {
			return RecoveryTarget{Kind: TargetTime, Time: *job.PointInTime}, nil
		}
		if job.RecoveryTarget == TargetTime {
			return RecoveryTarget{}, errors.New("recovery target \"time\" needs a point in time")
		}
		return RecoveryTarget{Kind: TargetEnd}, nil
	case TargetImmediate:
		if job.PointInTime != nil {
			return RecoveryTarget{}, errors.New("recovery target \"immediate\" cannot be combined with a point in time")
		}
		return RecoveryTarget{Kind: TargetImmediate}, nil
	}
	return RecoveryTarget{}, fmt.Errorf("unknown recovery target %q (want end, immediate or time)", job.RecoveryTarget)
}

// restoreCommand is wal-fetch with the source's archive settings.
func (d *driver) restoreCommand() (string, error) {
	a := d.src.cfg.Archive
	if a.Repo == "" || a.KeyFile == "" {
		return "", errors.New("postgres source config: archive.repo and archive.keyFile are needed to write restore_command")
	}
	bin := a.Coffer
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		bin = exe
	}
	return WALFetchCommand(bin, d.src.cfg.Name, a.Repo, a.KeyFile), nil
}

func runnerProgress(p Progress) runner.Progress {
	phase := cofferv1.JobPhase_JOB_PHASE_STARTING
	switch p.Phase {
	case "copy":
		phase = cofferv1.JobPhase_JOB_PHASE_TRANSFERRING
	case "stop", "wal", "done":
		phase = cofferv1.JobPhase_JOB_PHASE_FINALIZING
	case StepValidation:
		phase = cofferv1.JobPhase_JOB_PHASE_VERIFYING
	case StepExtraction, StepRestoration:
		phase = cofferv1.JobPhase_JOB_PHASE_RESTORING
	case StepWALReplay:
		phase = cofferv1.JobPhase_JOB_PHASE_REPLAYING
	}
	eta := p.ETA
	if eta == 0 && p.BytesTotal == 0 {
		eta = -1
	}
	return runner.Progress{
		Phase: phase, BytesDone: int64(p.BytesDone), BytesTotal: int64(p.BytesTotal),
		EntriesDone: int64(p.FilesDone), EntriesTotal: int64(p.FilesTotal), BytesWritten: int64(p.BytesStored),
		Rate: p.Rate, ETA: eta,
	}
}
