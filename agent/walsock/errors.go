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

// errorClasses are the repository error classes the client's exit codes
// depend on, with the gRPC code and the ErrorInfo reason each travels
// under. One table for both directions, so a class cannot be sent without
// being read back.
var errorClasses = []struct {
	class  error
	code   codes.Code
	reason string
}{
	{repo.ErrLogConflict, codes.AlreadyExists, "LOG_CONFLICT"},
	{repo.ErrLogNotFound, codes.NotFound, "LOG_NOT_FOUND"},
	{repo.ErrRepoNotFound, codes.FailedPrecondition, "REPO_NOT_FOUND"},
	{repo.ErrWrongKey, codes.PermissionDenied, "WRONG_KEY"},
	{repo.ErrUnsupportedVersion, codes.FailedPrecondition, "UNSUPPORTED_VERSION"},
	{repo.ErrInvalidLogName, codes.InvalidArgument, reasonInvalidName},
}

const (
	// reasonCorrupt marks damage; the damaged object travels in the metadata.
	reasonCorrupt     = "CORRUPTION"
	reasonInvalidName = "INVALID_NAME"
)

const errorDomain = "walsock.coffer"

func toStatus(err error) error {
	code, reason, object := codes.Internal, "", ""
	for _, c := range errorClasses {
		if errors.Is(err, c.class) {
			code, reason = c.code, c.reason
			break
		}
	}
	var ce *repo.CorruptionError
	switch {
	case reason != "":
	case errors.As(err, &ce):
		code, reason, object = codes.DataLoss, reasonCorrupt, ce.Object
	case errors.Is(err, errBadRequest):
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
		if info.GetReason() == reasonCorrupt {
			e.object = info.GetMetadata()["object"]
		}
		for _, c := range errorClasses {
			if info.GetReason() == c.reason {
				e.class = c.class
			}
		}
	}
	return e
}
