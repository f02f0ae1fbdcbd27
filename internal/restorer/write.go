package restorer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/cofferhq/coffer/internal/rawfile"
	"github.com/cofferhq/coffer/internal/repo"
)

// ErrExists means the restore would replace an existing file without Overwrite.
var ErrExists = errors.New("already exists (restore with overwrite to replace it)")

// ErrCorrupt means the snapshot's content does not add up.
var ErrCorrupt = errors.New("snapshot data is inconsistent")

// restoreFile tracks one file being written under a temporary name.
type pendingFile struct {
	node    *repo.Node
	tmp     string
	dst     string
	pending atomic.Int64 // outstanding jobs plus one for the walker
	written atomic.Uint64
	failed  atomic.Bool
	create  bool // the (only) job creates the file
}

type writeJob struct {
	file   *pendingFile
	offset int64
	ids    []repo.ID
}

// createTemp creates the file's temporary twin, sized to the final length so
// workers can write their ranges in any order. With deferred set, the file
// is only named: its single job creates it while writing, which saves
// system calls per small file.
func (r *Restorer) createTemp(dst string, n *repo.Node, deferred bool) (*pendingFile, error) {
	tmp := filepath.Join(filepath.Dir(dst), ".coffer-restore-"+filepath.Base(dst))
	r.pending.Store(tmp, struct{}{})
	if deferred {
		pf := &pendingFile{node: n, tmp: tmp, dst: dst, create: true}
		pf.pending.Store(1)
		return pf, nil
	}
	f, err := rawfile.Open(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", dst, err)
	}
	err = f.Truncate(int64(n.Size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", dst, err)
	}
	pf := &pendingFile{node: n, tmp: tmp, dst: dst}
	pf.pending.Store(1)
	return pf, nil
}

func (r *Restorer) worker(ctx context.Context, fail context.CancelCauseFunc) {
	var buf []byte
	for job := range r.jobs {
		var err error
		if err = context.Cause(ctx); err == nil {
			buf, err = r.write(ctx, job, buf)
		}
		if err = r.fileDone(job.file, err); err != nil {
			fail(err)
		}
	}
}

// write fetches the job's chunks and writes them at their offsets.
func (r *Restorer) write(ctx context.Context, job writeJob, buf []byte) ([]byte, error) {
	flags := os.O_WRONLY
	if job.file.create {
		flags |= os.O_CREATE | os.O_TRUNC
	}
	f, err := rawfile.Open(job.file.tmp, flags, 0o600)
	if err != nil {
		return buf, fmt.Errorf("open %s: %w", job.file.dst, err)
	}
	defer f.Close()
	off := job.offset
	for _, id := range job.ids {
		data, err := r.repo.LoadBlob(ctx, repo.DataBlob, id, buf)
		if err != nil {
			return buf, fmt.Errorf("restore %s: %w", job.file.dst, err)
		}
		if cap(data) > cap(buf) {
			buf = data
		}
		if _, err := f.WriteAt(data, off); err != nil {
			return buf, fmt.Errorf("write %s: %w", job.file.dst, err)
		}
		off += int64(len(data))
		job.file.written.Add(uint64(len(data)))
		r.bytesWritten.Add(uint64(len(data)))
	}
	return buf, nil
}

// fileDone records one finished job (or the walker's share); the last one
// checks the length, renames the file into place and applies its metadata.
func (r *Restorer) fileDone(f *pendingFile, err error) error {
	if err != nil {
		f.failed.Store(true)
	}
	if f.pending.Add(-1) != 0 || f.failed.Load() {
		return err
	}
	if got := f.written.Load(); got != f.node.Size {
		return fmt.Errorf("restore %s: %w: wrote %d bytes, expected %d", f.dst, ErrCorrupt, got, f.node.Size)
	}
	if err := os.Rename(f.tmp, f.dst); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	r.pending.Delete(f.tmp)
	if err := r.apply.Apply(f.dst, f.node); err != nil {
		return err
	}
	r.filesDone.Add(1)
	return nil
}
