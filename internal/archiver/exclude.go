package archiver

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// excluder matches paths against exclude globs.
type excluder struct {
	full []string // patterns matched against the absolute path
	base []string // patterns matched against the base name
	fn   func(path string) bool
}

func newExcluder(patterns []string, fn func(string) bool) (*excluder, error) {
	e := &excluder{fn: fn}
	for _, p := range patterns {
		if p == "" {
			continue
		}
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("invalid exclude pattern %q", p)
		}
		if strings.Contains(p, "/") {
			e.full = append(e.full, p)
		} else {
			e.base = append(e.base, p)
		}
	}
	return e, nil
}

func (e *excluder) excluded(path string) bool {
	if e.fn != nil && e.fn(path) {
		return true
	}
	base := filepath.Base(path)
	for _, p := range e.base {
		if ok, _ := doublestar.Match(p, base); ok {
			return true
		}
	}
	for _, p := range e.full {
		if ok, _ := doublestar.Match(p, path); ok {
			return true
		}
	}
	return false
}
