package files

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cofferhq/coffer/agent/runner"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
)

// Restore writes the snapshot below job.TargetPath. Without Overwrite it
// refuses before writing anything when a snapshot path already exists in
// the target, and the restorer refuses any other file it would replace.
func (s *Source) Restore(ctx context.Context, job *runner.RestoreJob) (*runner.RestoreOutput, error) {
	target := job.TargetPath
	switch {
	case target == "":
		return nil, runner.Errorf(runner.CodeBadConfig, false, "restore of a files backup needs targetPath")
	case !filepath.IsAbs(target):
		return nil, runner.Errorf(runner.CodeBadConfig, false, "targetPath %q must be an absolute path", target)
	case job.PointInTime != nil:
		return nil, runner.Errorf(runner.CodeUnsupported, false, "files backups restore whole snapshots; pointInTime does not apply")
	case job.Snapshot.Kind != "" && job.Snapshot.Kind != Type:
		return nil, runner.Errorf(runner.CodeBadConfig, false, "snapshot %s is a %q backup, not files", job.SnapshotID.Short(), job.Snapshot.Kind)
	}
	if !job.Overwrite {
		if err := refuseExisting(target, job.Snapshot.Paths); err != nil {
			return nil, err
		}
	}
	if job.ValidateOnly {
		return &runner.RestoreOutput{}, validate(ctx, job.Repo, job.Snapshot)
	}
	_, err := restorer.New(job.Repo, restorer.Options{
		Overwrite: job.Overwrite,
		Progress:  func(p restorer.Progress) { job.Progress(restoreProgress(p)) },
		Now:       job.Now,
	}).Restore(ctx, job.Snapshot, target)
	if errors.Is(err, restorer.ErrExists) {
		return nil, &runner.JobError{Code: runner.CodeTargetExists, Err: fmt.Errorf("restore into %s: %w", target, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("restore snapshot %s into %s: %w", job.SnapshotID.Short(), target, err)
	}
	return &runner.RestoreOutput{}, nil
}

func refuseExisting(target string, paths []string) error {
	for _, p := range paths {
		dst := filepath.Join(target, p)
		if _, err := os.Lstat(dst); err == nil {
			return runner.Errorf(runner.CodeTargetExists, false, "restore target %s already exists; set overwriteExisting to replace it", dst)
		}
	}
	return nil
}

// validate checks that every tree loads and every data chunk is indexed,
// without writing anything.
func validate(ctx context.Context, r *repo.Repository, sn *repo.Snapshot) error {
	var walk func(id repo.ID) error
	walk = func(id repo.ID) error {
		tree, err := r.LoadTree(ctx, id)
		if err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		for i := range tree.Nodes {
			n := &tree.Nodes[i]
			for _, c := range n.Content {
				if _, ok := r.LookupBlob(repo.DataBlob, c); !ok {
					return runner.Errorf(runner.CodeIntegrity, false, "validate: %s: chunk %s is missing from the repository", n.Name, c.Short())
				}
			}
			if n.Subtree != nil {
				if err := walk(*n.Subtree); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(sn.Tree)
}

func restoreProgress(p restorer.Progress) runner.Progress {
	out := runner.Progress{
		Phase:        cofferv1.JobPhase_JOB_PHASE_RESTORING,
		BytesDone:    int64(p.BytesWritten),
		EntriesDone:  int64(p.FilesDone),
		BytesWritten: int64(p.BytesWritten),
		Rate:         p.Rate,
		ETA:          -1,
	}
	if p.Phase == "metadata" || p.Phase == "done" {
		out.Phase = cofferv1.JobPhase_JOB_PHASE_FINALIZING
	}
	if p.WalkDone {
		out.BytesTotal, out.EntriesTotal = int64(p.BytesTotal), int64(p.FilesTotal)
		out.ETA = p.ETA
	}
	return out
}
