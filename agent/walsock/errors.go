package walsock

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/internal/repo"
)

var errBadRequest = errors.New("bad wal socket request")

// Reasons carried in the status's ErrorInfo, so the client gets back the
// error classes its exit codes depend on.
const (
	reasonConflict    = "LOG_CONFLICT"
	reasonNotFound    = "LOG_NOT_FOUND"
	reasonRepoMissing = "REPO_NOT_FOUND"
	reasonWrongKey    = "WRONG_KEY"
	reasonUnsupported = "UNSUPPORTED_VERSION"
	reasonCorrupt     = "CORRUPTION"
	reasonInvalidName = "INVALID_NAME"
)

const errorDomain = "walsock.coffer"

func toStatus(err error) error {
	code, reason, object := codes.Internal, "", ""
	var ce *repo.CorruptionError
	switch {
	case errors.Is(err, repo.ErrLogConflict):
		code, reason = codes.AlreadyExists, reasonConflict
	case errors.Is(err, repo.ErrLogNotFound):
		code, reason = codes.NotFound, reasonNotFound
	case errors.Is(err, repo.ErrRepoNotFound):
		code, reason = codes.FailedPrecondition, reasonRepoMissing
	case errors.Is(err, repo.ErrWrongKey):
		code, reason = codes.PermissionDenied, reasonWrongKey
	case errors.Is(err, repo.ErrUnsupportedVersion):
		code, reason = codes.FailedPrecondition, reasonUnsupported
	case errors.As(err, &ce):
		code, reason, object = codes.DataLoss, reasonCorrupt, ce.Object
	case errors.Is(err, repo.ErrInvalidLogName), errors.Is(err, errBadRequest):
		code, reason = codes.InvalidArgument, reasonInvalidName
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	st := status.New(code, err.Error())
	if reason != "" {
		info := &errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}
		if object != "" {
			info.Metadata = map[string]string{"object": object}
		}
		if d, derr := st.WithDetails(info); derr == nil {
			st = d
		}
	}
	return st.Err()
}

// AgentError is an error the agent answered: its message, and the error
// class it had (repo.ErrLogConflict, repo.ErrWrongKey, ...), so errors.Is
// and repo.IsCorruption work as on the direct path.
type AgentError struct {
	Msg    string
	class  error
	object string // for corruption
}

func (e *AgentError) Error() string { return e.Msg }

func (e *AgentError) Unwrap() error { return e.class }

// As makes repo.IsCorruption true for damage the agent found.
func (e *AgentError) As(target any) bool {
	if p, ok := target.(**repo.CorruptionError); ok && e.object != "" {
		*p = &repo.CorruptionError{Object: e.object, Err: errors.New(e.Msg)}
		return true
	}
	return false
}

func fromStatus(st *status.Status) error {
	e := &AgentError{Msg: st.Message()}
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || info.GetDomain() != errorDomain {
			continue
		}
		switch info.GetReason() {
		case reasonConflict:
			e.class = repo.ErrLogConflict
		case reasonNotFound:
			e.class = repo.ErrLogNotFound
		case reasonRepoMissing:
			e.class = repo.ErrRepoNotFound
		case reasonWrongKey:
			e.class = repo.ErrWrongKey
		case reasonUnsupported:
			e.class = repo.ErrUnsupportedVersion
		case reasonInvalidName:
			e.class = repo.ErrInvalidLogName
		case reasonCorrupt:
			e.object = info.GetMetadata()["object"]
		}
	}
	return e
}
