package apierr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/cron"
)

// rule maps errors matching is to code.
type rule struct {
	is   error
	code codes.Code
}

// table is the mapping of sentinel errors; typed errors are handled in
// ToStatus before it. Order matters: the first match wins.
var table = []rule{
	{ErrUnauthenticated, codes.Unauthenticated},
	{ErrPermission, codes.PermissionDenied},
	{ErrUnavailable, codes.Unavailable},
	{catalog.ErrNotFound, codes.NotFound},
	{catalog.ErrConflict, codes.AlreadyExists},
	{catalog.ErrInvalidState, codes.FailedPrecondition},
	{catalog.ErrTokenUsed, codes.PermissionDenied},
	{catalog.ErrTokenExpired, codes.PermissionDenied},
	{catalog.ErrStaleEpoch, codes.FailedPrecondition},
	{catalog.ErrLeaseExpired, codes.FailedPrecondition},
	{catalog.ErrLeaseHeld, codes.Unavailable},
	{catalog.ErrLeaseLost, codes.Unavailable},
	{cron.ErrExpression, codes.InvalidArgument},
	{cron.ErrTimezone, codes.InvalidArgument},
	{context.Canceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
}

// ToStatus translates err. The logger receives unclassified errors, which
// the client sees only as INTERNAL with a reference.
func ToStatus(log *slog.Logger, method string, err error) *status.Status {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return withField(codes.InvalidArgument, fe.Error(), fe.Field)
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return withField(codes.NotFound, nf.Error(), nf.Field)
	}
	var pe *PreconditionError
	if errors.As(err, &pe) {
		return withField(codes.FailedPrecondition, pe.Message, pe.Field)
	}
	for _, r := range table {
		if errors.Is(err, r.is) {
			return status.New(r.code, clean(err))
		}
	}
	ref := newRef()
	log.Error("internal error", "method", method, "ref", ref, "err", err)
	return status.New(codes.Internal, "internal error (reference "+ref+"; see the controller log)")
}

// clean drops the "catalog: " noise from sentinel messages.
func clean(err error) string {
	return strings.ReplaceAll(err.Error(), "catalog: ", "")
}

func withField(c codes.Code, msg, field string) *status.Status {
	st := status.New(c, msg)
	if field == "" {
		return st
	}
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: msg}}}); err == nil {
		return d
	}
	return st
}

// Field returns the request field a status names, if any.
func Field(st *status.Status) string {
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetField()
		}
	}
	return ""
}

func newRef() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
