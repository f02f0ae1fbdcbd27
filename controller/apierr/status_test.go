package apierr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/cron"
)

func TestToStatusTable(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	cases := []struct {
		err   error
		code  codes.Code
		field string
	}{
		{Invalid("cronExpression", "bad"), codes.InvalidArgument, "cronExpression"},
		{fmt.Errorf("wrapped: %w", Invalid("limit", "too big")), codes.InvalidArgument, "limit"},
		{NotFound("id", "backup", "x"), codes.NotFound, "id"},
		{Precondition("overwriteExisting", "target exists"), codes.FailedPrecondition, "overwriteExisting"},
		{Unauthenticated("no token"), codes.Unauthenticated, ""},
		{Denied("role"), codes.PermissionDenied, ""},
		{fmt.Errorf("backup 1: %w", catalog.ErrNotFound), codes.NotFound, ""},
		{fmt.Errorf("name: %w", catalog.ErrConflict), codes.AlreadyExists, ""},
		{fmt.Errorf("job: %w", catalog.ErrInvalidState), codes.FailedPrecondition, ""},
		{catalog.ErrTokenUsed, codes.PermissionDenied, ""},
		{cron.ErrTimezone, codes.InvalidArgument, ""},
		{context.Canceled, codes.Canceled, ""},
		{status.Error(codes.ResourceExhausted, "kept"), codes.ResourceExhausted, ""},
	}
	for _, c := range cases {
		st := ToStatus(log, "/m", c.err)
		if st.Code() != c.code || Field(st) != c.field {
			t.Errorf("%v: %s field %q, want %s field %q", c.err, st.Code(), Field(st), c.code, c.field)
		}
	}
}

func TestUnclassifiedErrorsAreInternalAndHidden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	st := ToStatus(log, "/coffer.v1.X/Y", errors.New("pq: connection to 10.0.0.5 refused"))
	if st.Code() != codes.Internal || strings.Contains(st.Message(), "10.0.0.5") {
		t.Fatalf("internal error leaked: %s %q", st.Code(), st.Message())
	}
	ref := strings.TrimSuffix(strings.Split(st.Message(), "reference ")[1], "; see the controller log)")
	if !strings.Contains(buf.String(), ref) || !strings.Contains(buf.String(), "10.0.0.5") {
		t.Fatalf("log %q does not hold reference %q with the real error", buf.String(), ref)
	}
}
