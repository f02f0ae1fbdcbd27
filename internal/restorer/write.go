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
	metaSet atomic.Bool // metadata already applied through the descriptor
	create  bool        // the (only) batch creates the file
}

// batch is a worker's unit of work: chunks of the files listed, each
// written at its offset.
type batch struct {
	refs   []repo.BlobRef
	pieces []piece // parallel to refs
	files  []*pendingFile
	bytes  int64
}

type piece struct {
	file   int // index into batch.files
	offset int64
	length int
}

// createTemp creates the file's temporary twin, sized to the final length so
// workers can write their ranges in any order. With deferred set, the file
// is only named: the one batch holding it creates it while writing, which saves
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
	for b := range r.jobs {
		err := context.Cause(ctx)
		if err == nil {
			err = r.write(ctx, b)
		}
		for _, f := range b.files {
			if err := r.fileDone(f, err); err != nil {
				fail(err)
			}
		}
	}
}

// write fetches the batch's chunks, pack by pack, and writes each at its
// offset; files are opened on their first chunk and closed at the end.
func (r *Restorer) write(ctx context.Context, b *batch) (err error) {
	fds := make([]*os.File, len(b.files))
	defer func() {
		for i, fd := range fds {
			if fd == nil {
				continue
			}
			if cerr := fd.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("write %s: %w", b.files[i].dst, cerr)
			}
		}
	}()
	err = r.repo.LoadBlobs(ctx, b.refs, func(i int, data []byte) error {
		p := b.pieces[i]
		f := b.files[p.file]
		fd := fds[p.file]
		if fd == nil {
			flags := os.O_WRONLY
			if f.create {
				flags |= os.O_CREATE | os.O_TRUNC
			}
			var err error
			if fd, err = rawfile.Open(f.tmp, flags, 0o600); err != nil {
				return fmt.Errorf("open %s: %w", f.dst, err)
			}
			fds[p.file] = fd
		}
		if _, err := fd.WriteAt(data, p.offset); err != nil {
			return fmt.Errorf("write %s: %w", f.dst, err)
		}
		f.written.Add(uint64(len(data)))
		r.bytesWritten.Add(uint64(len(data)))
		return nil
	})
	if err != nil && repo.IsCorruption(err) {
		err = fmt.Errorf("restore %s: %w", batchName(b), err)
	}
	if err == nil && r.opts.Sync {
		err = startWriteback(b, fds)
	}
	if err == nil {
		err = r.applyWhole(b, fds)
	}
	return err
}

// applyWhole sets the metadata of the files this batch wrote whole while
// they are still open, before they are renamed into place.
func (r *Restorer) applyWhole(b *batch, fds []*os.File) error {
	for i, f := range b.files {
		if !f.create || fds[i] == nil || f.written.Load() != f.node.Size {
			continue
		}
		if err := r.apply.ApplyFile(fds[i], f.node); err != nil {
			return fmt.Errorf("restore %s: %w", f.dst, err)
		}
		if r.opts.Sync {
			if err := fds[i].Sync(); err != nil {
				return fmt.Errorf("sync %s: %w", f.dst, err)
			}
		}
		f.metaSet.Store(true)
	}
	return nil
}

// batchName names a batch's files for an error message.
func batchName(b *batch) string {
	if len(b.files) == 1 {
		return b.files[0].dst
	}
	return fmt.Sprintf("%s and %d more files", b.files[0].dst, len(b.files)-1)
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
	if r.opts.Sync && !f.metaSet.Load() {
		if err := r.finishDurably(f); err != nil {
			return err
		}
	}
	if err := r.placeFile(f.tmp, f.dst); err != nil {
		return err
	}
	r.pending.Delete(f.tmp)
	if !f.metaSet.Load() {
		if err := r.apply.Apply(f.dst, f.node); err != nil {
			return err
		}
	}
	r.filesDone.Add(1)
	return nil
}

// finishDurably sets the metadata of a file written by several batches
// (or empty) through a descriptor and fsyncs it, before the rename.
func (r *Restorer) finishDurably(f *pendingFile) error {
	fd, err := rawfile.Open(f.tmp, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.dst, err)
	}
	err = r.apply.ApplyFile(fd, f.node)
	if err == nil {
		err = fd.Sync()
	}
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w", f.dst, err)
	}
	f.metaSet.Store(true)
	return nil
}
