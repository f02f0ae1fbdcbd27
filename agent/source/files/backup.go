package files

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"time"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/archiver"
)

// Backup saves the configured paths as a snapshot. Any entry that cannot
// be read fails the backup: a snapshot reported as successful is complete.
func (s *Source) Backup(ctx context.Context, job *runner.BackupJob) (*runner.BackupOutput, error) {
	if len(s.cfg.Paths) == 0 {
		return nil, runner.Errorf(runner.CodeBadConfig, false, "files source %s: config.paths is empty", s.name)
	}
	for _, p := range s.cfg.Paths {
		if _, err := os.Lstat(p); err != nil {
			return nil, runner.Errorf(runner.CodeSourceFailed, false, "files source %s: %v", s.name, err)
		}
	}
	username := ""
	if u, err := user.Current(); err == nil {
		username = u.Username
	}
	var last archiver.Progress // the archiver reports a final "done" before Backup returns
	arch, err := archiver.New(job.Repo, archiver.Options{
		Excludes:      s.cfg.Exclude,
		OneFileSystem: s.cfg.OneFileSystem,
		Warn: func(path string, err error) {
			job.Log.Warn("file changed while reading", slog.String("path", path), slog.Any("error", err))
		},
		Progress: func(p archiver.Progress) {
			last = p
			job.Progress(backupProgress(p))
		},
		Now:      job.Now,
		Hostname: job.Hostname,
		Username: username,
		Tags:     job.Tags,
		Source:   s.name,
		Kind:     Type,
	})
	if err != nil {
		return nil, runner.Errorf(runner.CodeBadConfig, false, "files source %s: exclude: %v", s.name, err)
	}
	res, err := arch.Backup(ctx, s.cfg.Paths, job.Parent, job.ParentID)
	if err != nil {
		return nil, fmt.Errorf("backup of %s failed, no snapshot saved: %w", s.name, err)
	}
	if res.Errors > 0 {
		return nil, fmt.Errorf("backup of %s: %d entries could not be read", s.name, res.Errors)
	}
	return &runner.BackupOutput{
		SnapshotID: res.ID,
		Snapshot:   res.Snapshot,
		Entries:    int64(last.FilesDone),
		Metadata: map[string]any{
			"tool":    "coffer-files",
			"paths":   anySlice(s.cfg.Paths),
			"exclude": anySlice(s.cfg.Exclude),
		},
	}, nil
}

// backupProgress maps archiver figures. The archiver counts a file's bytes
// as done only when the whole file is, so a large file would sit at 0%;
// bytes read so far are the better measure while reading. Entries are
// non-directory entries, which is what the archiver's scan counts.
func backupProgress(p archiver.Progress) runner.Progress {
	done := max(p.BytesDone, p.BytesRead)
	out := runner.Progress{
		Phase:        cofferv1.JobPhase_JOB_PHASE_TRANSFERRING,
		BytesDone:    int64(done),
		EntriesDone:  int64(p.FilesDone),
		BytesWritten: int64(p.BytesStored),
		ETA:          -1,
	}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		out.Rate = float64(done) / secs
	}
	if p.Phase == "flush" || p.Phase == "done" {
		out.Phase = cofferv1.JobPhase_JOB_PHASE_FINALIZING
	}
	if p.ScanDone {
		out.BytesTotal, out.EntriesTotal = int64(p.BytesTotal), int64(p.FilesTotal)
		switch {
		case done >= p.BytesTotal:
			out.ETA = 0
		case out.Rate > 0:
			out.ETA = time.Duration(float64(p.BytesTotal-done) / out.Rate * float64(time.Second))
		}
	}
	return out
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
