package cli

import (
	"errors"

	"github.com/cofferhq/coffer/internal/repo"
)

// Exit codes. They follow restic where an equivalent exists.
const (
	ExitOK           = 0
	ExitFailure      = 1  // any other failure
	ExitUsage        = 2  // bad flags or arguments
	ExitIncomplete   = 3  // backup saved, but some source entries could not be read
	ExitRepoNotFound = 10 // no repository at the location
	ExitUnsupported  = 11 // repository format newer than this binary
	ExitWrongKey     = 12 // no key slot opens with the given key
	ExitCorruption   = 13 // verify or restore found damaged or missing data
)

// ExitError carries an exit code with an error message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.Is(err, repo.ErrRepoNotFound):
		return ExitRepoNotFound
	case errors.Is(err, repo.ErrUnsupportedVersion):
		return ExitUnsupported
	case errors.Is(err, repo.ErrWrongKey):
		return ExitWrongKey
	case repo.IsCorruption(err):
		return ExitCorruption
	}
	return ExitFailure
}
