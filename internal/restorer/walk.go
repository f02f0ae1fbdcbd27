package restorer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/cofferhq/coffer/internal/fsmeta"
	"github.com/cofferhq/coffer/internal/repo"
)

// A batch is the unit of work of one worker: chunks of one or more files,
// up to batchBytes of content and batchFiles files, read with as few
// ranged reads as the chunks' places in their packs allow.
const (
	batchBytes = 4 << 20
	batchFiles = 64
)

// walk restores the tree id, found at snapshot path snapPath, into dir.
func (r *Restorer) walk(ctx context.Context, id repo.ID, snapPath, dir string) error {
	tree, err := r.repo.LoadTree(ctx, id)
	if err != nil {
		return fmt.Errorf("load tree of %s: %w", snapPath, err)
	}
	for i := range tree.Nodes {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		n := &tree.Nodes[i]
		if err := validName(n.Name); err != nil {
			return fmt.Errorf("tree of %s: %w", snapPath, err)
		}
		p := path.Join(snapPath, string(n.Name))
		inside, ancestor := r.included(p)
		if !inside && !(ancestor && n.Type == repo.NodeDir) {
			continue
		}
		dst := filepath.Join(dir, string(n.Name))
		if err := r.restoreNode(ctx, n, p, dst); err != nil {
			return err
		}
	}
	return nil
}

func (r *Restorer) restoreNode(ctx context.Context, n *repo.Node, snapPath, dst string) error {
	switch n.Type {
	case repo.NodeDir:
		if err := os.Mkdir(dst, 0o700); err != nil && !fsmeta.IsExist(err) {
			return fmt.Errorf("create directory: %w", err)
		}
		r.dirs = append(r.dirs, dirMeta{path: dst, node: *n})
		if n.Subtree == nil {
			return fmt.Errorf("directory %s has no subtree in the snapshot", snapPath)
		}
		return r.walk(ctx, *n.Subtree, snapPath, dst)
	case repo.NodeFile:
		return r.restoreFile(ctx, n, dst)
	default:
		r.filesTotal.Add(1)
		if err := r.clear(dst); err != nil {
			return err
		}
		if err := fsmeta.CreateSpecial(dst, n); err != nil {
			return fmt.Errorf("restore %s: %w", dst, err)
		}
		if err := r.apply.Apply(dst, n); err != nil {
			return err
		}
		r.filesDone.Add(1)
		return nil
	}
}

// clear makes room for dst: an existing entry is an error unless overwriting.
func (r *Restorer) clear(dst string) error {
	fi, err := os.Lstat(dst)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.opts.Overwrite {
		return fmt.Errorf("restore %s: %w", dst, ErrExists)
	}
	if fi.IsDir() {
		return fmt.Errorf("restore %s: a directory is in the way", dst)
	}
	return os.Remove(dst)
}

func (r *Restorer) restoreFile(ctx context.Context, n *repo.Node, dst string) error {
	r.filesTotal.Add(1)
	if n.Links > 1 {
		key := inodeKey{n.DeviceID, n.Inode}
		if first, ok := r.inodes[key]; ok {
			if err := r.clear(dst); err != nil {
				return err
			}
			r.links = append(r.links, hardLink{target: first, path: dst})
			r.filesDone.Add(1)
			return nil
		}
		r.inodes[key] = dst
	}
	// No check for an existing dst here: placeFile's rename refuses or
	// replaces it atomically, which saves a system call per file.

	// A file that fits in one batch goes into one whole (starting a new
	// batch if needed) and is created by the worker that writes it, which
	// saves system calls per small file. Larger ones are spread over
	// several batches, written by several workers at once.
	whole := len(n.Content) > 0 && n.Size <= batchBytes
	if whole && r.batch != nil && (r.batch.bytes+int64(n.Size) > batchBytes || len(r.batch.files) >= batchFiles) {
		if err := r.flush(ctx); err != nil {
			return err
		}
	}
	f, err := r.createTemp(dst, n, whole)
	if err != nil {
		return err
	}
	r.bytesTotal.Add(n.Size)
	var off int64
	for _, id := range n.Content {
		loc, ok := r.repo.LookupBlob(repo.DataBlob, id)
		if !ok {
			return fmt.Errorf("restore %s: chunk %s is missing from the repository index", dst, id)
		}
		if !whole && r.batch != nil && (r.batch.bytes >= batchBytes || len(r.batch.files) >= batchFiles) {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
		r.addPiece(f, off, id, loc.RawLength)
		off += int64(loc.RawLength)
	}
	if uint64(off) != n.Size {
		return fmt.Errorf("restore %s: %w: chunks add up to %d bytes, file size is %d", dst, ErrCorrupt, off, n.Size)
	}
	return r.fileDone(f, nil)
}

// addPiece adds one chunk of f, at offset off, to the batch being filled.
func (r *Restorer) addPiece(f *pendingFile, off int64, id repo.ID, rawLen int) {
	b := r.batch
	if b == nil {
		b = &batch{}
		r.batch = b
	}
	if len(b.files) == 0 || b.files[len(b.files)-1] != f {
		b.files = append(b.files, f)
		f.pending.Add(1)
	}
	b.refs = append(b.refs, repo.BlobRef{Type: repo.DataBlob, ID: id})
	b.pieces = append(b.pieces, piece{file: len(b.files) - 1, offset: off, length: rawLen})
	b.bytes += int64(rawLen)
}

// flush hands the batch being filled to the workers.
func (r *Restorer) flush(ctx context.Context) error {
	b := r.batch
	if b == nil || len(b.refs) == 0 {
		return nil
	}
	r.batch = nil
	select {
	case r.jobs <- b:
		return nil
	case <-ctx.Done():
		// The files of an unsent batch are finished (failed) here.
		for _, f := range b.files {
			_ = r.fileDone(f, context.Cause(ctx))
		}
		return context.Cause(ctx)
	}
}

// validName refuses names that would escape the target directory.
func validName(name []byte) error {
	if s := string(name); s == "" || s == "." || s == ".." || bytes.ContainsAny(name, "/\x00") {
		return fmt.Errorf("%w: invalid file name %q in snapshot", ErrCorrupt, s)
	}
	return nil
}
