package fsmeta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/cofferhq/coffer/internal/repo"
)

// Applier restores metadata onto created file-system objects.
type Applier struct {
	// SkipOwner leaves ownership alone (non-root restores cannot chown).
	SkipOwner bool
	// SkipXAttrs leaves extended attributes alone.
	SkipXAttrs bool
}

// CreateSpecial creates a non-regular, non-directory node at path: a symlink,
// FIFO, socket placeholder or device node. Regular files and directories are
// created by the restorer itself.
func CreateSpecial(path string, n *repo.Node) error {
	switch n.Type {
	case repo.NodeSymlink:
		return os.Symlink(string(n.LinkTarget), path)
	case repo.NodeFIFO:
		return unix.Mkfifo(path, uint32(fs.FileMode(n.Mode).Perm()))
	case repo.NodeDev:
		return unix.Mknod(path, unix.S_IFBLK|uint32(fs.FileMode(n.Mode).Perm()), int(n.Rdev))
	case repo.NodeCharDev:
		return unix.Mknod(path, unix.S_IFCHR|uint32(fs.FileMode(n.Mode).Perm()), int(n.Rdev))
	case repo.NodeSocket:
		// A socket cannot be restored meaningfully; leave nothing, like tar.
		return nil
	}
	return fmt.Errorf("create %s: unsupported node type %q", path, n.Type)
}

// Apply sets ownership, permissions, extended attributes and times of path
// from n, never following a symlink. Ownership comes first because chown
// clears set-id bits; times come last because the other calls change ctime
// and xattr writes may touch mtime.
func (a *Applier) Apply(path string, n *repo.Node) error {
	if n.Type == repo.NodeSocket {
		return nil
	}
	if !a.SkipOwner {
		if err := os.Lchown(path, int(n.UID), int(n.GID)); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	if n.Type != repo.NodeSymlink {
		if err := os.Chmod(path, chmodBits(fs.FileMode(n.Mode))); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
	}
	if !a.SkipXAttrs && n.Type != repo.NodeSymlink {
		for _, x := range n.XAttrs {
			if err := unix.Lsetxattr(path, x.Name, x.Value, 0); err != nil && !unsupported(err) {
				return fmt.Errorf("set xattr %s on %s: %w", x.Name, path, err)
			}
		}
	}
	times := []unix.Timespec{unix.NsecToTimespec(n.AccTimeNs), unix.NsecToTimespec(n.ModTimeNs)}
	if n.AccTimeNs == 0 {
		times[0] = times[1]
	}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, times, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", path, err)
	}
	return nil
}

// chmodBits converts Go's FileMode to what os.Chmod expects, keeping
// setuid, setgid and sticky.
func chmodBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// IsExist reports whether err says the path already exists.
func IsExist(err error) bool { return errors.Is(err, fs.ErrExist) }

// ApplyFile is Apply for an open regular file: the same metadata, in the
// same order, set through its descriptor, which spares the path lookup of
// every call (restores of many small files make millions of them).
func (a *Applier) ApplyFile(f *os.File, n *repo.Node) error {
	if !a.SkipOwner {
		if err := f.Chown(int(n.UID), int(n.GID)); err != nil {
			return fmt.Errorf("chown %s: %w", f.Name(), err)
		}
	}
	if err := f.Chmod(chmodBits(fs.FileMode(n.Mode))); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	fd := int(f.Fd())
	if !a.SkipXAttrs {
		for _, x := range n.XAttrs {
			if err := unix.Fsetxattr(fd, x.Name, x.Value, 0); err != nil && !unsupported(err) {
				return fmt.Errorf("set xattr %s on %s: %w", x.Name, f.Name(), err)
			}
		}
	}
	times := [2]unix.Timespec{unix.NsecToTimespec(n.AccTimeNs), unix.NsecToTimespec(n.ModTimeNs)}
	if n.AccTimeNs == 0 {
		times[0] = times[1]
	}
	// utimensat(fd, NULL, times, 0) sets the times of fd itself.
	if _, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&times[0])), 0, 0, 0); errno != 0 {
		return fmt.Errorf("set times of %s: %w", f.Name(), errno)
	}
	return nil
}
