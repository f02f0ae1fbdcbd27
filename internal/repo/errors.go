package repo

import (
	"errors"
	"fmt"
)

// ErrWrongKey means no key slot opens with the given key file or passphrase.
var ErrWrongKey = errors.New("wrong key: no key slot in this repository opens with the given key file or passphrase")

// ErrRepoNotFound means the location holds no repository (no config object).
var ErrRepoNotFound = errors.New("no coffer repository at this location (config object missing)")

// ErrUnsupportedVersion means the repository was written by a newer coffer.
var ErrUnsupportedVersion = errors.New("unsupported repository format version")

// ErrRepoExists means Init found a repository already there.
var ErrRepoExists = errors.New("a coffer repository already exists at this location")

// ErrSnapshotNotFound means no snapshot matches a reference.
var ErrSnapshotNotFound = errors.New("snapshot not found")

// ErrAmbiguousSnapshot means a snapshot ID prefix matches several snapshots.
var ErrAmbiguousSnapshot = errors.New("snapshot ID prefix is ambiguous")

// ErrBlobNotFound means a blob is not in the loaded index.
var ErrBlobNotFound = errors.New("blob not in index")

type versionError struct{ found, supported int }

func (e *versionError) Error() string {
	return fmt.Sprintf("repository format version %d is newer than this coffer supports (%d); upgrade coffer", e.found, e.supported)
}

func (e *versionError) Unwrap() error { return ErrUnsupportedVersion }

// CorruptionError reports a stored object that failed authentication or
// decoding. Object is the storage name ("data/ab/abcd...", "index/...",
// "config"); Blob is set when the damage is in one blob inside a pack.
type CorruptionError struct {
	Object string
	Blob   *ID
	Err    error
}

func (e *CorruptionError) Error() string {
	if e.Blob != nil {
		return fmt.Sprintf("%s is corrupt (blob %s): %v", e.Object, e.Blob, e.Err)
	}
	return fmt.Sprintf("%s is corrupt: %v", e.Object, e.Err)
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// IsCorruption reports whether err contains a *CorruptionError.
func IsCorruption(err error) bool {
	var ce *CorruptionError
	return errors.As(err, &ce)
}

func corrupt(object string, blob *ID, format string, args ...any) *CorruptionError {
	return &CorruptionError{Object: object, Blob: blob, Err: fmt.Errorf(format, args...)}
}
