package restorer

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// placeFile renames a finished temporary file to its real name. Without
// Overwrite an existing entry is refused atomically (RENAME_NOREPLACE, or
// a check first where the file system lacks it); with Overwrite a file or
// symlink in the way is replaced atomically and a directory is an error.
// unix.Renameat2 also skips the Lstat os.Rename does first.
func (r *Restorer) placeFile(tmp, dst string) error {
	var err error
	if r.opts.Overwrite {
		err = unix.Renameat(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst)
	} else {
		err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			err = renameIfMissing(tmp, dst)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EEXIST) && !r.opts.Overwrite:
		return fmt.Errorf("restore %s: %w", dst, ErrExists)
	case errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST):
		return fmt.Errorf("restore %s: a directory is in the way", dst)
	default:
		return fmt.Errorf("rename %s into place: %w", dst, err)
	}
}

// renameIfMissing is the fallback for file systems without RENAME_NOREPLACE.
func renameIfMissing(tmp, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return unix.EEXIST
	} else if !os.IsNotExist(err) {
		return err
	}
	return unix.Renameat(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dst)
}
