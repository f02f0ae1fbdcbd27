package fsmeta_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cofferhq/coffer/internal/fsmeta"
	"github.com/cofferhq/coffer/internal/repo"
)

// ApplyFile through a descriptor gives the same result as Apply by path:
// set-id bits kept, nanosecond times, extended attributes.
func TestApplyFileMatchesApply(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := &repo.Node{
		Type: repo.NodeFile, Mode: uint32(fs.ModeSetgid | 0o751),
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()),
		ModTimeNs: 1_700_000_000_123_456_789, AccTimeNs: 1_600_000_000_987_654_321,
		XAttrs: []repo.XAttr{{Name: "user.coffer", Value: []byte("v")}},
	}
	a := fsmeta.Applier{SkipOwner: os.Geteuid() != 0}
	byPath, byFD := filepath.Join(dir, "path"), filepath.Join(dir, "fd")
	for _, p := range []string{byPath, byFD} {
		if err := os.WriteFile(p, []byte("content"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Apply(byPath, n); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(byFD, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ApplyFile(f, n); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want, got := stat(t, byPath), stat(t, byFD)
	if got.Mode != want.Mode || got.Mtim != want.Mtim || got.Atim != want.Atim || got.Uid != want.Uid || got.Gid != want.Gid {
		t.Fatalf("by descriptor: mode %o mtime %v atime %v owner %d:%d; by path: mode %o mtime %v atime %v owner %d:%d",
			got.Mode, got.Mtim, got.Atim, got.Uid, got.Gid, want.Mode, want.Mtim, want.Atim, want.Uid, want.Gid)
	}
	if got.Mtim.Nano() != n.ModTimeNs || got.Atim.Nano() != n.AccTimeNs || got.Mode&unix.S_ISGID == 0 {
		t.Fatalf("times %d/%d or setgid bit lost (mode %o)", got.Mtim.Nano(), got.Atim.Nano(), got.Mode)
	}
	buf := make([]byte, 16)
	sz, err := unix.Lgetxattr(byFD, "user.coffer", buf)
	if err != nil || string(buf[:sz]) != "v" {
		t.Fatalf("xattr: %q, %v", buf[:max(sz, 0)], err)
	}
}

func stat(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}
