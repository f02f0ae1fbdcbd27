package api

import (
	"context"
	"math"

	"google.golang.org/grpc/metadata"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/auth"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// IdempotencyHeader is the HTTP header (and gRPC metadata key) that sets a
// create's idempotency key.
const IdempotencyHeader = "idempotency-key"

// idempotencyKey is the request's key: the field, else the header.
func idempotencyKey(ctx context.Context, field string) string {
	if field != "" {
		return field
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(IdempotencyHeader); len(v) > 0 {
		return v[0]
	}
	return ""
}

// page validates paging input.
func page(p, limit int32) (catalog.Page, error) {
	if p < 0 {
		return catalog.Page{}, apierr.Invalid("page", "must be 1 or more, got %d", p)
	}
	if limit < 0 || limit > catalog.MaxLimit {
		return catalog.Page{}, apierr.Invalid("limit", "must be between 1 and %d, got %d", catalog.MaxLimit, limit)
	}
	return catalog.Page{Page: int(p), Limit: int(limit)}.Normalize(), nil
}

func pagination(p catalog.Page, total int) *cofferv1.Pagination {
	pages := 0
	if total > 0 {
		pages = int(math.Ceil(float64(total) / float64(p.Limit)))
	}
	return &cofferv1.Pagination{Page: int32(p.Page), Limit: int32(p.Limit), Total: int32(total), TotalPages: int32(pages)}
}

// principal returns the caller; the auth interceptor guarantees one.
func principal(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

// inScope refuses a caller whose token is scoped to other sources.
func inScope(ctx context.Context, src catalog.Source) error {
	if p := principal(ctx); !p.InScope(src.ID, src.Name) {
		return apierr.Denied("token %q is not scoped to source %q", p.Name, src.Name)
	}
	return nil
}

// required checks a required string field.
func required(field, v string) error {
	if v == "" {
		return apierr.Invalid(field, "is required")
	}
	return nil
}

// oneOf checks an enum-like string field (empty is allowed when def is
// given and returned instead).
func oneOf(field, v, def string, allowed ...string) (string, error) {
	if v == "" && def != "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", apierr.Invalid(field, "must be one of %v, got %q", allowed, v)
}
