package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
)

// BackupOptions configure one backup.
type BackupOptions struct {
	Repo *repo.Repository
	// Parent makes a physical backup incremental: files whose size,
	// mtime, ctime and inode match the parent are reused unread.
	Parent   *repo.Snapshot
	ParentID *repo.ID
	// Delta re-reads and checksums every file even when the parent says
	// it is unchanged; only changed chunks are uploaded.
	Delta    bool
	Hostname string
	Tags     []string
	// Progress receives figures about once a second.
	Progress func(Progress)
	// Workers hash, compress and encrypt (default: number of CPUs).
	Workers int
}

// Progress is a backup's or restore's progress.
type Progress struct {
	// Phase: backup "connect", "start", "copy", "stop", "wal", "done";
	// restore "validation", "extraction", "restoration", "wal replay".
	Phase                 string
	BytesDone, BytesTotal uint64
	BytesStored           uint64
	FilesDone, FilesTotal uint64
	Rate                  float64 // bytes per second
	ETA                   time.Duration
}

// BackupResult is a saved backup.
type BackupResult struct {
	ID       repo.ID
	Snapshot *repo.Snapshot
	Physical *PhysicalMeta
	Logical  *LogicalMeta
	Files    int64
}

// Backup takes a backup with the configured method.
func (s *Source) Backup(ctx context.Context, opts BackupOptions) (*BackupResult, error) {
	if opts.Repo == nil {
		return nil, fmt.Errorf("backup of %s: no repository", s.cfg.Name)
	}
	if opts.Progress == nil {
		opts.Progress = func(Progress) {}
	}
	if s.cfg.Method == MethodLogical {
		return s.backupLogical(ctx, opts)
	}
	return s.backupPhysical(ctx, opts)
}

func fromArchiver(phase string, p archiver.Progress) Progress {
	done := max(p.BytesDone, p.BytesRead)
	out := Progress{Phase: phase, BytesDone: done, BytesStored: p.BytesStored, FilesDone: p.FilesDone, Rate: p.Rate, ETA: -1}
	if p.ScanDone {
		out.BytesTotal, out.FilesTotal = p.BytesTotal, p.FilesTotal
		if out.Rate > 0 && p.BytesTotal > done {
			out.ETA = time.Duration(float64(p.BytesTotal-done) / out.Rate * float64(time.Second))
		} else if p.BytesTotal <= done {
			out.ETA = 0
		}
	}
	return out
}
