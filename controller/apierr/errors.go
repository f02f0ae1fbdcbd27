package apierr

import (
	"errors"
	"fmt"
)

// FieldError is bad input in one request field (the JSON name, e.g.
// "cronExpression"). It becomes INVALID_ARGUMENT with the field in the
// details.
type FieldError struct {
	Field   string
	Message string
	Err     error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return e.Err }

// Invalid returns a FieldError for field.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// InvalidErr returns a FieldError for field whose message is err's.
func InvalidErr(field string, err error) error {
	return &FieldError{Field: field, Message: err.Error(), Err: err}
}

// NotFoundError names an object that does not exist, and the request field
// that named it.
type NotFoundError struct {
	Kind, ID, Field string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Kind, e.ID) }

// NotFound returns a NotFoundError.
func NotFound(field, kind, id string) error { return &NotFoundError{Kind: kind, ID: id, Field: field} }

// PreconditionError is a request that is well formed but not allowed in the
// current state (FAILED_PRECONDITION), e.g. a restore that would overwrite
// without overwriteExisting. Field may name the request field to change.
type PreconditionError struct {
	Field   string
	Message string
}

func (e *PreconditionError) Error() string { return e.Message }

// Precondition returns a PreconditionError.
func Precondition(field, format string, args ...any) error {
	return &PreconditionError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Authentication and authorization failures.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrPermission      = errors.New("permission denied")
)

// Unauthenticated says why no identity was established.
func Unauthenticated(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnauthenticated, fmt.Sprintf(format, args...))
}

// Denied says what the identity may not do.
func Denied(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPermission, fmt.Sprintf(format, args...))
}

// ErrUnavailable marks a dependency that is down for now (retry later).
var ErrUnavailable = errors.New("unavailable")
