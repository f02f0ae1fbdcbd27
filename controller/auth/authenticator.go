package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/catalog"
)

// touchEvery limits how often a token's last-used time is written.
const touchEvery = time.Minute

// TokenStore is what the authenticator needs from the catalog.
type TokenStore interface {
	GetAPITokenByHash(ctx context.Context, hash []byte) (catalog.APIToken, error)
	TouchAPIToken(ctx context.Context, id string, now time.Time) error
}

// Authenticator checks bearer tokens and the permission table.
type Authenticator struct {
	store TokenStore
	now   func() time.Time

	mu      sync.Mutex
	touched map[string]time.Time
}

// NewAuthenticator returns an Authenticator; now is the clock for token
// expiry and last-used times.
func NewAuthenticator(store TokenStore, now func() time.Time) *Authenticator {
	return &Authenticator{store: store, now: now, touched: map[string]time.Time{}}
}

// Authorize authenticates the call's bearer token and checks that its role
// may call method. Methods for agents (join token, client certificate) pass
// through: their handlers authenticate them.
func (a *Authenticator) Authorize(ctx context.Context, method string) (context.Context, error) {
	perm, ok := MethodPermission(method)
	if !ok {
		return nil, apierr.Denied("method %s is not allowed", method)
	}
	switch perm {
	case PermJoinToken:
		return ctx, nil
	case PermAgentCert:
		if _, err := AgentFromPeer(ctx); err != nil {
			return nil, err
		}
		return ctx, nil
	case PermAgentLocal:
		return nil, apierr.Denied("method %s is served by agents on their local socket, not by the controller", method)
	}
	p, err := a.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	if !Allows(p.Role, perm) {
		return nil, apierr.Denied("role %q lacks the %q permission needed for %s", p.Role, perm, shortMethod(method))
	}
	return WithPrincipal(ctx, p), nil
}

func (a *Authenticator) authenticate(ctx context.Context) (Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 || vals[0] == "" {
		return Principal{}, apierr.Unauthenticated("no API token: send the header Authorization: Bearer <token>")
	}
	scheme, tok, found := strings.Cut(vals[0], " ")
	if !found || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return Principal{}, apierr.Unauthenticated("the Authorization header must be \"Bearer <token>\"")
	}
	t, err := a.store.GetAPITokenByHash(ctx, HashToken(strings.TrimSpace(tok)))
	if errors.Is(err, catalog.ErrNotFound) {
		return Principal{}, apierr.Unauthenticated("the API token is not valid")
	}
	if err != nil {
		return Principal{}, err
	}
	now := a.now()
	switch {
	case !t.RevokedAt.IsZero():
		return Principal{}, apierr.Unauthenticated("the API token %s… was revoked", t.Prefix)
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return Principal{}, apierr.Unauthenticated("the API token %s… expired", t.Prefix)
	}
	a.touch(ctx, t.ID, now)
	return Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Scopes: t.Scopes}, nil
}

// touch records last use at most once per touchEvery per token; a failure
// only delays the record, so it is not an error for the call.
func (a *Authenticator) touch(ctx context.Context, id string, now time.Time) {
	a.mu.Lock()
	last, ok := a.touched[id]
	due := !ok || now.Sub(last) >= touchEvery
	if due {
		a.touched[id] = now
	}
	a.mu.Unlock()
	if due {
		_ = a.store.TouchAPIToken(ctx, id, now)
	}
}

// UnaryInterceptor authorises unary calls.
func (a *Authenticator) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, err := a.Authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamInterceptor authorises streams.
func (a *Authenticator) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if _, err := a.Authorize(ss.Context(), info.FullMethod); err != nil {
			return err
		}
		return h(srv, ss)
	}
}

func shortMethod(m string) string {
	if i := strings.LastIndex(m, "/"); i >= 0 {
		return m[i+1:]
	}
	return m
}
