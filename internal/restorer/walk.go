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

// chunksPerJob groups a file's chunks so large files are written by several
// workers at once while small files stay one job each.
const chunksPerJob = 4

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
	if err := r.clear(dst); err != nil {
		return err
	}
	// A file written by one job (and not empty) is created by that job.
	f, err := r.createTemp(dst, n, len(n.Content) > 0 && len(n.Content) <= chunksPerJob)
	if err != nil {
		return err
	}
	r.bytesTotal.Add(n.Size)
	var off int64
	for i := 0; i < len(n.Content); i += chunksPerJob {
		end := min(i+chunksPerJob, len(n.Content))
		job := writeJob{file: f, offset: off, ids: n.Content[i:end]}
		for _, id := range job.ids {
			loc, ok := r.repo.LookupBlob(repo.DataBlob, id)
			if !ok {
				return fmt.Errorf("restore %s: chunk %s is missing from the repository index", dst, id)
			}
			off += int64(loc.RawLength)
		}
		f.pending.Add(1)
		select {
		case r.jobs <- job:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	if uint64(off) != n.Size {
		return fmt.Errorf("restore %s: %w: chunks add up to %d bytes, file size is %d", dst, ErrCorrupt, off, n.Size)
	}
	return r.fileDone(f, nil)
}

// validName refuses names that would escape the target directory.
func validName(name []byte) error {
	if s := string(name); s == "" || s == "." || s == ".." || bytes.ContainsAny(name, "/\x00") {
		return fmt.Errorf("%w: invalid file name %q in snapshot", ErrCorrupt, s)
	}
	return nil
}
