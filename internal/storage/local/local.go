package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
)

// TempPrefix starts the base name of every temporary file. Object names
// may not have a component with this prefix.
const TempPrefix = ".coffer-tmp-"

const (
	dirMode    = 0o700
	objectMode = 0o400 // objects are never modified in place
)

// Backend is a storage.Backend over a local directory.
type Backend struct {
	root     string
	now      func() time.Time
	openTemp func(dir string) (tempFile, error) // replaced in tests
}

// Option configures a Backend.
type Option func(*Backend)

// WithClock sets the clock CleanTemp uses to judge the age of temporary
// files (default time.Now).
func WithClock(now func() time.Time) Option { return func(b *Backend) { b.now = now } }

// New opens the existing directory dir as a backend.
func New(dir string, opts ...Option) (*Backend, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local backend %s: %w", dir, err)
	}
	// Resolve symlinks so List's directory walk starts at a real directory.
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local backend %s: not a directory", dir)
	}
	b := &Backend{root: real, now: time.Now, openTemp: createTemp}
	for _, o := range opts {
		o(b)
	}
	return b, nil
}

// Create makes dir (and its parents) if needed and opens it as a backend.
func Create(dir string, opts ...Option) (*Backend, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("create local backend: %w", err)
	}
	return New(dir, opts...)
}

// Location implements storage.Backend.
func (b *Backend) Location() string { return "local:" + b.root }

// Dir returns the absolute directory holding the objects.
func (b *Backend) Dir() string { return b.root }

// Close implements storage.Backend; there is nothing to release.
func (b *Backend) Close() error { return nil }

var errTempName = errors.New("name component uses the reserved temporary-file prefix " + TempPrefix)

// path checks ctx and name and maps the name to a file path under root.
func (b *Backend) path(ctx context.Context, name string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if err := storage.ValidName(name); err != nil {
		return "", err
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, TempPrefix) {
			return "", storage.Permanent(name, errTempName)
		}
	}
	return filepath.Join(b.root, filepath.FromSlash(name)), nil
}
