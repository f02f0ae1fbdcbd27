package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Backend stores immutable, named objects. Names are slash-separated relative
// paths such as "data/ab/abcdef..." or "config"; they never start with "/" and
// never contain "..".
//
// Semantics every implementation guarantees (checked by storagetest):
//   - Save makes an object visible atomically: a reader sees either no object
//     or the whole object, never a prefix of it, even if the writer crashes.
//     Saving over an existing name replaces it atomically, unless the backend
//     enforces immutability (object lock), in which case it returns an error
//     for which IsPermanent is true.
//   - Save reads r to EOF and fails if it read a different number of bytes
//     than size (when size >= 0).
//   - Open returns the bytes [offset, offset+length) of an object; length < 0
//     means "to the end". Reading past the end returns what exists.
//   - A missing object yields an error for which IsNotExist is true, from
//     Open, Stat and Remove alike.
//   - List calls fn for every object whose name starts with prefix, in no
//     particular order, and stops early with fn's error.
//   - All methods are safe for concurrent use.
type Backend interface {
	// Location describes the backend for humans and logs. It never contains
	// credentials.
	Location() string
	Save(ctx context.Context, name string, r io.Reader, size int64) error
	Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error)
	Stat(ctx context.Context, name string) (ObjectInfo, error)
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	Remove(ctx context.Context, name string) error
	Close() error
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// ErrNotExist is wrapped by errors for missing objects.
var ErrNotExist = errors.New("object does not exist")

// ErrPermanent is wrapped by errors that retrying cannot fix: permission
// denied, invalid credentials, object locked, malformed request.
var ErrPermanent = errors.New("permanent storage error")

// IsNotExist reports whether err means the object is missing.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// IsPermanent reports whether retrying the operation cannot succeed.
// A missing object is permanent too.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent) || errors.Is(err, ErrNotExist) ||
		errors.Is(err, context.Canceled)
}

// NotExist wraps err so that IsNotExist reports true, keeping its message.
func NotExist(name string, err error) error {
	return &classified{name: name, err: err, kind: ErrNotExist}
}

// Permanent wraps err so that IsPermanent reports true, keeping its message.
func Permanent(name string, err error) error {
	return &classified{name: name, err: err, kind: ErrPermanent}
}

type classified struct {
	name string
	err  error
	kind error
}

func (c *classified) Error() string {
	if c.err == nil {
		return c.name + ": " + c.kind.Error()
	}
	return c.name + ": " + c.err.Error()
}

func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }
