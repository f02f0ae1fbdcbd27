package local

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/cofferhq/coffer/internal/storage"
)

// classify wraps a file system error for name so that storage.IsNotExist
// and storage.IsPermanent answer correctly. missingIsObject is false for
// writes, where a missing path means the repository directory vanished
// rather than that the object does not exist.
func classify(name string, err error, missingIsObject bool) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		if missingIsObject {
			return storage.NotExist(name, err)
		}
		return storage.Permanent(name, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// Retrying within seconds will not free space; fail fast and clearly.
		return storage.Permanent(name, &noSpaceError{err: err})
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENAMETOOLONG),
		errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.ENOTEMPTY):
		return storage.Permanent(name, err)
	}
	return err
}

// opError classifies err and adds the operation and, unless the
// classification already carries it, the object name.
func opError(op, name string, err error, missingIsObject bool) error {
	if c := classify(name, err, missingIsObject); c != err {
		return fmt.Errorf("%s: %w", op, c)
	}
	if storage.IsPermanent(err) || storage.IsNotExist(err) {
		return fmt.Errorf("%s: %w", op, err) // classified by the caller, named
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

// noSpaceError says plainly that the disk is full, keeping the cause for
// errors.Is (syscall.ENOSPC or syscall.EDQUOT).
type noSpaceError struct{ err error }

func (e *noSpaceError) Error() string {
	if errors.Is(e.err, syscall.EDQUOT) {
		return "disk quota exceeded (" + e.err.Error() + ")"
	}
	return "no space left on device (" + e.err.Error() + ")"
}

func (e *noSpaceError) Unwrap() error { return e.err }
