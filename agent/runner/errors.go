package runner

import (
	"context"
	"errors"
	"fmt"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
)

// Error codes reported in JobError.code.
const (
	CodeBadConfig       = "bad_config"
	CodeUnsupported     = "unsupported"
	CodeSourceFailed    = "source_failed"
	CodeStorage         = "storage_unavailable"
	CodeStoragePerm     = "storage_permanent"
	CodeRepoNotFound    = "repository_not_found"
	CodeWrongKey        = "wrong_key"
	CodeIntegrity       = "integrity"
	CodeSnapshotMissing = "snapshot_not_found"
	CodeTargetExists    = "target_exists"
	CodeAgentShutdown   = "agent_shutdown"
	CodeFailed          = "failed"
)

// JobError is an error with a stable code and a retry verdict; drivers
// return it to classify their own failures.
type JobError struct {
	Code      string
	Retryable bool
	Err       error
}

func (e *JobError) Error() string { return e.Err.Error() }
func (e *JobError) Unwrap() error { return e.Err }

// Errorf makes a JobError.
func Errorf(code string, retryable bool, format string, args ...any) error {
	return &JobError{Code: code, Retryable: retryable, Err: fmt.Errorf(format, args...)}
}

// toJobError classifies err for the controller.
func toJobError(err error) *cofferv1.JobError {
	var je *JobError
	if errors.As(err, &je) {
		return &cofferv1.JobError{Code: je.Code, Message: err.Error(), Retryable: je.Retryable}
	}
	var ce *repo.CorruptionError
	code, retry := CodeFailed, true
	switch {
	case errors.As(err, &ce):
		code, retry = CodeIntegrity, false
	case errors.Is(err, repo.ErrWrongKey):
		code, retry = CodeWrongKey, false
	case errors.Is(err, repo.ErrRepoNotFound):
		code, retry = CodeRepoNotFound, false
	case errors.Is(err, repo.ErrSnapshotNotFound):
		code, retry = CodeSnapshotMissing, false
	case errors.Is(err, context.DeadlineExceeded):
		code, retry = CodeStorage, true
	case storage.IsPermanent(err):
		code, retry = CodeStoragePerm, false
	}
	return &cofferv1.JobError{Code: code, Message: err.Error(), Retryable: retry}
}
