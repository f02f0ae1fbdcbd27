package api

import (
	"context"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/pki"
)

func (s *Agents) CreateJoinToken(ctx context.Context, req *cofferv1.CreateJoinTokenRequest) (*cofferv1.CreateJoinTokenResponse, error) {
	ttl := time.Duration(req.GetTtlSeconds()) * time.Second
	switch {
	case req.GetTtlSeconds() == 0:
		ttl = defaultJoinTTL
	case ttl < 0 || ttl > maxJoinTTL:
		return nil, apierr.Invalid("ttlSeconds", "must be between 1 and %d, got %d", int(maxJoinTTL.Seconds()), req.GetTtlSeconds())
	}
	if req.GetAgentName() != "" {
		if err := checkName("agentName", req.GetAgentName()); err != nil {
			return nil, err
		}
	}
	tok, jt, err := s.d.MintJoinToken(ctx, req.GetAgentName(), ttl, principal(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &cofferv1.CreateJoinTokenResponse{Token: tok.String(), Id: jt.ID, ExpiresAt: ts(jt.ExpiresAt)}, nil
}

// MintJoinToken creates a single-use join token valid for ttl (database
// clock). `coffer dev` uses it to enroll its own agent.
func (d *Deps) MintJoinToken(ctx context.Context, agentName string, ttl time.Duration, actor string) (pki.JoinToken, catalog.JoinToken, error) {
	tok, err := pki.NewJoinToken(d.CA.Pin())
	if err != nil {
		return tok, catalog.JoinToken{}, err
	}
	now, err := d.Store.Now(ctx)
	if err != nil {
		return tok, catalog.JoinToken{}, err
	}
	jt, err := d.Store.CreateJoinToken(ctx, catalog.JoinToken{Hash: tok.Hash(), AgentName: agentName, ExpiresAt: now.Add(ttl)})
	if err != nil {
		return tok, jt, err
	}
	err = d.record(ctx, actor, "join_token.create", "join-token/"+jt.ID,
		map[string]any{"agentName": agentName, "expiresAt": jt.ExpiresAt.Format(time.RFC3339)})
	return tok, jt, err
}
