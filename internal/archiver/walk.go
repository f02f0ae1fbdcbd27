package archiver

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cofferhq/coffer/internal/repo"
)

// vnode is a directory on the way to the paths being backed up. The
// snapshot keeps absolute paths, so /srv/a and /home/b share the root.
type vnode struct {
	children map[string]*vnode
	target   bool    // an explicitly requested path: archived whole
	stream   *Stream // a stream saved at this path
	onDisk   bool    // the directory exists on disk (a real path leads here)
}

func buildVirtual(paths []string, streams []Stream) (*vnode, error) {
	root := &vnode{children: map[string]*vnode{}, onDisk: true}
	walk := func(p string, real bool) *vnode {
		cur := root
		for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			if part == "" || cur.target {
				continue
			}
			next, ok := cur.children[part]
			if !ok {
				next = &vnode{children: map[string]*vnode{}}
				cur.children[part] = next
			}
			cur.onDisk = cur.onDisk || real
			cur = next
		}
		return cur
	}
	for _, p := range paths {
		cur := walk(p, true)
		cur.target = true
		cur.children = map[string]*vnode{} // the whole subtree is archived
	}
	for i := range streams {
		s := &streams[i]
		p := path.Clean(s.Path)
		if !strings.HasPrefix(p, "/") || p == "/" {
			return nil, fmt.Errorf("stream path %q: want an absolute file path", s.Path)
		}
		cur := walk(p, false)
		if cur.target || cur.stream != nil || len(cur.children) > 0 {
			return nil, fmt.Errorf("stream path %s: inside or equal to another backed-up path", p)
		}
		cur.target, cur.stream = true, s
	}
	return root, nil
}

// saveVirtual saves the directories leading to the requested paths. dir is
// the absolute path of v.
func (a *Archiver) saveVirtual(ctx context.Context, v *vnode, parent *repo.Tree) (*treeFuture, error) {
	return a.saveVirtualAt(ctx, "/", v, parent)
}

func (a *Archiver) saveVirtualAt(ctx context.Context, dir string, v *vnode, parent *repo.Tree) (*treeFuture, error) {
	names := make([]string, 0, len(v.children))
	for name := range v.children {
		names = append(names, name)
	}
	sort.Strings(names)
	prev := nodesByName(parent)
	var entries []entry
	for _, name := range names {
		child := v.children[name]
		path := filepath.Join(dir, name)
		if child.stream != nil {
			e, err := a.saveStream(ctx, path, []byte(name), child.stream)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
			continue
		}
		if child.target {
			a.rootDev = nil
			if n, _, err := a.cap.Node(path, []byte(name)); err == nil {
				a.rootDev = &n.DeviceID
			}
			e, ok, err := a.saveEntry(ctx, path, []byte(name), prev[name])
			if err != nil {
				return nil, err
			}
			if ok {
				entries = append(entries, e)
			}
			continue
		}
		var n repo.Node
		if child.onDisk {
			var err error
			if n, _, err = a.cap.Node(path, []byte(name)); err != nil {
				return nil, fmt.Errorf("backup path %s: %w", path, err)
			}
			if n.Type != repo.NodeDir {
				return nil, fmt.Errorf("backup path %s: not a directory", path)
			}
		} else {
			n = a.syntheticDir(name)
		}
		sub, err := a.saveVirtualAt(ctx, path, child, a.parentSubtree(ctx, prev[name]))
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{node: &n, sub: sub})
	}
	return a.submitDir(ctx, entries)
}

// syntheticDir is the node of a directory that exists only to hold streams.
func (a *Archiver) syntheticDir(name string) repo.Node {
	return repo.Node{
		Name: []byte(name), Type: repo.NodeDir, Mode: uint32(fs.ModeDir | 0o755),
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), ModTimeNs: a.start.UnixNano(),
	}
}

// saveStream reads a stream into a file node. Every error fails the backup:
// a stream cannot be skipped like an unreadable file, since a short dump
// must never look like a complete one.
func (a *Archiver) saveStream(ctx context.Context, path string, name []byte, s *Stream) (entry, error) {
	mode, mtime := s.Mode.Perm(), s.ModTime
	if mode == 0 {
		mode = 0o600
	}
	if mtime.IsZero() {
		mtime = a.start
	}
	n := &repo.Node{
		Name: name, Type: repo.NodeFile, Mode: uint32(mode),
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), ModTimeNs: mtime.UnixNano(),
	}
	if err := a.flushBatch(ctx); err != nil { // a stream may take long to start
		return entry{}, err
	}
	rc, err := s.Open(ctx)
	if err != nil {
		return entry{}, fmt.Errorf("stream %s: %w", path, err)
	}
	ff := newFileFuture(n)
	read, err := a.readChunks(ctx, rc, ff, 0, &a.chunker)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		ff.finish(-1, repo.ID{}, err)
		return entry{}, fmt.Errorf("stream %s: %w", path, err)
	}
	n.Size = read
	a.cnt.filesNew.Add(1)
	ff.finish(-1, repo.ID{}, nil)
	return entry{node: n, file: ff}, nil
}

// saveEntry archives one file-system object. ok is false when the object was
// skipped after an error that OnError accepted.
func (a *Archiver) saveEntry(ctx context.Context, path string, name []byte, prev *repo.Node) (entry, bool, error) {
	if err := ctx.Err(); err != nil {
		return entry{}, false, err
	}
	n, fi, err := a.cap.Node(path, name)
	if err != nil {
		return entry{}, false, a.skip(path, err)
	}
	switch n.Type {
	case repo.NodeDir:
		if a.opts.OneFileSystem && a.rootDev != nil && n.DeviceID != *a.rootDev {
			// A mount point: keep the directory itself, not what is mounted there.
			sub, err := a.submitDir(ctx, nil)
			return entry{node: &n, sub: sub}, err == nil, err
		}
		sub, err := a.saveDir(ctx, path, a.parentSubtree(ctx, prev))
		if err != nil {
			return entry{}, false, err
		}
		return entry{node: &n, sub: sub}, true, nil
	case repo.NodeFile:
		if a.unchanged(prev, &n) {
			n.Content = prev.Content
			a.cnt.filesSame.Add(1)
			a.cnt.filesDone.Add(1)
			a.cnt.bytesDone.Add(n.Size)
			return entry{node: &n}, true, nil
		}
		if prev != nil && prev.Type == repo.NodeFile {
			a.cnt.filesChanged.Add(1)
		} else {
			a.cnt.filesNew.Add(1)
		}
		ff, err := a.saveFile(ctx, path, &n, fi)
		if err != nil {
			return entry{}, false, a.skip(path, err)
		}
		return entry{node: &n, file: ff}, true, nil
	default:
		a.cnt.filesDone.Add(1)
		return entry{node: &n}, true, nil
	}
}

// saveDir archives the contents of the directory at path.
func (a *Archiver) saveDir(ctx context.Context, path string, parent *repo.Tree) (*treeFuture, error) {
	names, err := readDirNames(path)
	if err != nil {
		if err := a.skip(path, err); err != nil {
			return nil, err
		}
	}
	prev := nodesByName(parent)
	entries := make([]entry, 0, len(names))
	for _, name := range names {
		child := filepath.Join(path, name)
		if a.excl.excluded(child) {
			continue
		}
		e, ok, err := a.saveEntry(ctx, child, []byte(name), prev[name])
		if err != nil {
			return nil, err
		}
		if ok {
			entries = append(entries, e)
		}
	}
	return a.submitDir(ctx, entries)
}

func (a *Archiver) submitDir(ctx context.Context, entries []entry) (*treeFuture, error) {
	job := dirJob{entries: entries, result: &treeFuture{done: make(chan struct{})}}
	select {
	case a.dirs <- job:
		return job.result, nil
	default:
		// The tree saver is behind, perhaps waiting for a file in the batch.
		if err := a.flushBatch(ctx); err != nil {
			return nil, err
		}
	}
	select {
	case a.dirs <- job:
		return job.result, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// skip applies OnError; nil means the entry is left out.
func (a *Archiver) skip(path string, err error) error {
	if ferr := a.opts.OnError(path, err); ferr != nil {
		return fmt.Errorf("%s: %w", path, ferr)
	}
	a.cnt.errors.Add(1)
	return nil
}

// parentSubtree loads the parent snapshot's tree for a directory node. A
// parent that cannot be loaded only costs re-reading, so errors become a
// warning.
func (a *Archiver) parentSubtree(ctx context.Context, prev *repo.Node) *repo.Tree {
	if prev == nil || prev.Type != repo.NodeDir || prev.Subtree == nil {
		return nil
	}
	t, err := a.repo.LoadTree(ctx, *prev.Subtree)
	if err != nil {
		a.opts.Warn(string(prev.Name), fmt.Errorf("parent tree unreadable, re-reading directory: %w", err))
		return nil
	}
	return t
}

// unchanged reports whether a file can reuse its parent snapshot's content.
func (a *Archiver) unchanged(prev, n *repo.Node) bool {
	if a.opts.ReadAll || prev == nil || prev.Type != repo.NodeFile || prev.Size != n.Size ||
		prev.ModTimeNs != n.ModTimeNs || prev.ChgTimeNs != n.ChgTimeNs || prev.Inode != n.Inode {
		return false
	}
	if n.Size > 0 && len(prev.Content) == 0 {
		return false
	}
	for _, id := range prev.Content {
		if !a.repo.HasBlob(repo.DataBlob, id) {
			return false
		}
	}
	return true
}

func nodesByName(t *repo.Tree) map[string]*repo.Node {
	if t == nil {
		return nil
	}
	m := make(map[string]*repo.Node, len(t.Nodes))
	for i := range t.Nodes {
		m[string(t.Nodes[i].Name)] = &t.Nodes[i]
	}
	return m
}

func readDirNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// scan counts what will be backed up, for progress totals.
func (a *Archiver) scan(ctx context.Context, paths []string) {
	for _, p := range paths {
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				return nil
			}
			if path != p && a.excl.excluded(path) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			a.cnt.scanFiles.Add(1)
			if d.Type().IsRegular() {
				if info, err := d.Info(); err == nil {
					a.cnt.scanBytes.Add(uint64(info.Size()))
				}
			}
			return nil
		})
	}
	a.cnt.scanDone.Store(true)
}
