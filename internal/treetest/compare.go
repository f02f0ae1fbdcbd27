package treetest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// Entry is what Compare looks at for one path.
type Entry struct {
	Mode    fs.FileMode
	UID     uint32
	GID     uint32
	MtimeNs int64
	Size    int64
	Target  string // symlink target
	Content []byte // regular files
	Ino     uint64 // used only to group hard links
}

// Scan lists every entry below root by relative path.
func Scan(t testing.TB, root string) map[string]Entry {
	t.Helper()
	out := map[string]Entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := Entry{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid, MtimeNs: st.Mtim.Nano(), Ino: st.Ino}
		switch {
		case fi.Mode().IsRegular():
			e.Size = fi.Size()
			if e.Content, err = os.ReadFile(p); err != nil {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.Target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	return out
}

// Compare fails the test unless the trees at want and got are identical in
// names, types, modes, owners, mtimes, content, symlink targets and hard-link
// grouping. The roots' own metadata is not compared.
func Compare(t testing.TB, want, got string) {
	t.Helper()
	for _, d := range Diff(t, want, got) {
		t.Error(d)
	}
}

// Diff returns the differences Compare would report.
func Diff(t testing.TB, want, got string) []string {
	t.Helper()
	w, g := Scan(t, want), Scan(t, got)
	var diffs []string
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		we := w[k]
		ge, ok := g[k]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%q: missing from restore", k))
			continue
		}
		if k == "." {
			continue
		}
		if we.Mode != ge.Mode {
			diffs = append(diffs, fmt.Sprintf("%q: mode %v, want %v", k, ge.Mode, we.Mode))
		}
		if we.UID != ge.UID || we.GID != ge.GID {
			diffs = append(diffs, fmt.Sprintf("%q: owner %d:%d, want %d:%d", k, ge.UID, ge.GID, we.UID, we.GID))
		}
		if we.MtimeNs != ge.MtimeNs {
			diffs = append(diffs, fmt.Sprintf("%q: mtime %d, want %d", k, ge.MtimeNs, we.MtimeNs))
		}
		if we.Target != ge.Target {
			diffs = append(diffs, fmt.Sprintf("%q: link target %q, want %q", k, ge.Target, we.Target))
		}
		if !bytes.Equal(we.Content, ge.Content) {
			diffs = append(diffs, fmt.Sprintf("%q: content differs (%d bytes, want %d)", k, len(ge.Content), len(we.Content)))
		}
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q: not in the original", k))
		}
	}
	diffs = append(diffs, hardLinkDiffs(w, g)...)
	return diffs
}

// hardLinkDiffs checks that paths sharing an inode in want share one in got.
func hardLinkDiffs(w, g map[string]Entry) []string {
	groups := map[uint64][]string{}
	for k, e := range w {
		if e.Mode.IsRegular() {
			groups[e.Ino] = append(groups[e.Ino], k)
		}
	}
	var diffs []string
	for _, paths := range groups {
		if len(paths) < 2 {
			continue
		}
		sort.Strings(paths)
		first, ok := g[paths[0]]
		for _, p := range paths[1:] {
			if ge, ok2 := g[p]; ok && ok2 && ge.Ino != first.Ino {
				diffs = append(diffs, fmt.Sprintf("%q and %q: hard link not preserved", paths[0], p))
			}
		}
	}
	return diffs
}
