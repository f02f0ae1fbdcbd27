package local

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// fullDiskFile is a real temporary file whose writes fail with ENOSPC once
// limit bytes were written, as on a full file system.
type fullDiskFile struct {
	*os.File
	limit int
}

func (f *fullDiskFile) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.File.Write(p[:f.limit])
		f.limit = 0
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.limit -= len(p)
	return f.File.Write(p)
}

func TestSaveOnFullDiskReportsItAndRemovesTemp(t *testing.T) {
	t.Parallel()
	be, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	be.openTemp = func(dir string) (tempFile, error) {
		f, err := os.CreateTemp(dir, TempPrefix+"*")
		return &fullDiskFile{File: f, limit: 100000}, err
	}
	data := bytes.Repeat([]byte("x"), 300000)
	err = be.Save(t.Context(), "data/ab/pack", bytes.NewReader(data), int64(len(data)))
	checkNoSpace(t, be, err, "data/ab/pack")
}

// TestRealTmpfsFullThenReadOnly fills a real 1 MiB tmpfs, then remounts it
// read-only. Mounting needs root (CAP_SYS_ADMIN); without it the injected
// ENOSPC test above and TestClassify cover the same paths.
func TestRealTmpfsFullThenReadOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestSaveOnFullDiskReportsItAndRemovesTemp covers ENOSPC", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	be, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("y"), 3<<20)
	err = be.Save(t.Context(), "data/cd/pack", bytes.NewReader(data), int64(len(data)))
	checkNoSpace(t, be, err, "data/cd/pack")
	// After the failure the space is free again for a small object.
	if err := be.Save(t.Context(), "config", strings.NewReader("ok"), 2); err != nil {
		t.Errorf("small save after a full disk: %v", err)
	}
	if err := syscall.Mount("tmpfs", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=1m"); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	err = be.Save(t.Context(), "config2", strings.NewReader("no"), 2)
	if !storage.IsPermanent(err) || storage.IsNotExist(err) || !errors.Is(err, syscall.EROFS) {
		t.Errorf("Save on a read-only file system = %v, want a permanent EROFS error", err)
	}
	if got := be.Remove(t.Context(), "config"); !storage.IsPermanent(got) || storage.IsNotExist(got) {
		t.Errorf("Remove on a read-only file system = %v, want a permanent error", got)
	}
}

func checkNoSpace(t *testing.T, be *Backend, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatal("Save on a full disk succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, name) {
		t.Errorf("error %q should say no space left on device and name %s", msg, name)
	}
	if !errors.Is(err, syscall.ENOSPC) || !storage.IsPermanent(err) {
		t.Errorf("error %v: want ENOSPC and permanent", err)
	}
	if _, err := be.Stat(t.Context(), name); !storage.IsNotExist(err) {
		t.Errorf("Stat after a full-disk failure = %v, want not-exist", err)
	}
	_ = filepath.WalkDir(be.Dir(), func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), TempPrefix) {
			t.Errorf("temporary file left behind: %s", path)
		}
		return nil
	})
}

func TestClassify(t *testing.T) {
	t.Parallel()
	pathErr := func(errno syscall.Errno) error { return &os.PathError{Op: "open", Path: "/r/x", Err: errno} }
	cases := []struct {
		err                 error
		notExist, permanent bool
	}{
		{pathErr(syscall.ENOENT), true, true},
		{pathErr(syscall.ENOTDIR), true, true},
		{pathErr(syscall.EACCES), false, true},
		{pathErr(syscall.EPERM), false, true},
		{pathErr(syscall.EROFS), false, true},
		{pathErr(syscall.ENOSPC), false, true},
		{pathErr(syscall.EDQUOT), false, true},
		{pathErr(syscall.EIO), false, false},
		{pathErr(syscall.EINTR), false, false},
	}
	for _, c := range cases {
		got := opError("open", "x", c.err, true)
		if storage.IsNotExist(got) != c.notExist || storage.IsPermanent(got) != c.permanent {
			t.Errorf("opError(%v) = %v: notExist %v permanent %v, want %v %v", c.err, got,
				storage.IsNotExist(got), storage.IsPermanent(got), c.notExist, c.permanent)
		}
		if !strings.Contains(got.Error(), "x") || !errors.Is(got, c.err) {
			t.Errorf("opError(%v) = %v: must name the object and keep the cause", c.err, got)
		}
	}
	// For writes a missing path is the repository's problem, not a missing object.
	if got := opError("save", "x", pathErr(syscall.ENOENT), false); storage.IsNotExist(got) || !storage.IsPermanent(got) {
		t.Errorf("save ENOENT = %v: want permanent, not not-exist", got)
	}
}
