package auth

import (
	"context"
	"slices"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/pki"
)

// Principal is an authenticated API caller.
type Principal struct {
	TokenID string
	Name    string
	Role    string
	// Scopes limit the caller to these sources (names or IDs); empty
	// means all.
	Scopes []string
}

// Actor is the principal as the audit log names it.
func (p Principal) Actor() string { return "token:" + p.TokenID }

// InScope reports whether the principal may act on a source.
func (p Principal) InScope(sourceID, sourceName string) bool {
	return len(p.Scopes) == 0 || slices.Contains(p.Scopes, sourceID) || slices.Contains(p.Scopes, sourceName)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller; ok is false for unauthenticated contexts.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Actor returns the audit actor of ctx: the token, or "system".
func Actor(ctx context.Context) string {
	if p, ok := FromContext(ctx); ok {
		return p.Actor()
	}
	return "system"
}

// AgentFromPeer returns the agent ID of the verified client certificate on
// the call's TLS connection.
func AgentFromPeer(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", apierr.Unauthenticated("no peer information")
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.VerifiedChains) == 0 || len(ti.State.VerifiedChains[0]) == 0 {
		return "", apierr.Unauthenticated("an agent client certificate is required (mTLS)")
	}
	id, err := pki.AgentID(ti.State.VerifiedChains[0][0])
	if err != nil {
		return "", apierr.Unauthenticated("%v", err)
	}
	return id, nil
}
