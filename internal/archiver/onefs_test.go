package archiver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/archiver"
)

// With OneFileSystem a mount point below the backed-up path is kept as an
// empty directory; without it, the mounted files are backed up.
func TestOneFileSystemStopsAtMountPoints(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	src := t.TempDir()
	write(t, filepath.Join(src, "local.txt"), "here")
	mnt := filepath.Join(src, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs (this test needs root with mount rights): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	write(t, filepath.Join(mnt, "mounted.txt"), "elsewhere")

	for _, c := range []struct {
		oneFS bool
		want  string
	}{{true, ""}, {false, "mounted.txt"}} {
		r := newRepo(t)
		a, err := archiver.New(r, archiver.Options{OneFileSystem: c.oneFS})
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Backup(context.Background(), []string{src}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(t, r, res.Snapshot, src), ","); got != "local.txt,mnt" {
			t.Errorf("oneFS=%v: top level %s, want local.txt,mnt", c.oneFS, got)
		}
		if got := strings.Join(names(t, r, res.Snapshot, mnt), ","); got != c.want {
			t.Errorf("oneFS=%v: mount point holds %q, want %q", c.oneFS, got, c.want)
		}
	}
}
