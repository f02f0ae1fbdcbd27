package storage

import (
	"errors"
	"fmt"
	"strings"
)

var errInvalidName = errors.New("invalid object name")

// ValidName returns a permanent error when name is not a valid object name:
// empty, absolute, containing a backslash or NUL byte, an empty component
// ("a//b", trailing "/") or a "." or ".." component. Drivers call it before
// touching storage so a hostile or buggy name can never escape the store.
func ValidName(name string) error {
	if err := checkName(name); err != nil {
		return Permanent(fmt.Sprintf("%q", name), err)
	}
	return nil
}

// ValidPrefix checks a List prefix: "" lists everything; otherwise every
// complete component (up to the last "/") must be valid as in ValidName and
// the trailing partial component may be any text without "\" or NUL.
func ValidPrefix(prefix string) error {
	dir, last := "", prefix
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dir, last = prefix[:i], prefix[i+1:]
	}
	var err error
	switch {
	case strings.HasPrefix(prefix, "/"):
		err = fmt.Errorf("%w: absolute", errInvalidName)
	case strings.ContainsAny(last, "\\\x00"):
		err = fmt.Errorf("%w: backslash or NUL byte", errInvalidName)
	case dir != "":
		err = checkName(dir)
	}
	if err != nil {
		return Permanent(fmt.Sprintf("prefix %q", prefix), err)
	}
	return nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", errInvalidName)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%w: absolute", errInvalidName)
	case strings.ContainsAny(name, "\\\x00"):
		return fmt.Errorf("%w: backslash or NUL byte", errInvalidName)
	}
	for _, part := range strings.Split(name, "/") {
		switch part {
		case "":
			return fmt.Errorf("%w: empty path component", errInvalidName)
		case ".", "..":
			return fmt.Errorf("%w: %q component", errInvalidName, part)
		}
	}
	return nil
}
