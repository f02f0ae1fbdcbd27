package api

import (
	"context"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/auth"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Tokens implements ApiTokenService.
type Tokens struct {
	cofferv1.UnimplementedApiTokenServiceServer
	d *Deps
}

var userRoles = []string{catalog.RoleAdmin, catalog.RoleOperator, catalog.RoleRestorer, catalog.RoleAuditor}

func (s *Tokens) ListApiTokens(ctx context.Context, req *cofferv1.ListApiTokensRequest) (*cofferv1.ListApiTokensResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	list, total, err := s.d.Store.ListAPITokens(ctx, catalog.APITokenFilter{IncludeRevoked: req.GetIncludeRevoked(), Page: p})
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListApiTokensResponse{Tokens: make([]*cofferv1.ApiToken, 0, len(list)), Pagination: pagination(p, total)}
	for _, t := range list {
		out.Tokens = append(out.Tokens, tokenProto(t))
	}
	return out, nil
}

func (s *Tokens) byID(ctx context.Context, id string) (catalog.APIToken, error) {
	return byID(ctx, "id", "API token", id, s.d.Store.GetAPIToken)
}

func (s *Tokens) GetApiToken(ctx context.Context, req *cofferv1.GetApiTokenRequest) (*cofferv1.GetApiTokenResponse, error) {
	t, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetApiTokenResponse{ApiToken: tokenProto(t)}, nil
}

func (s *Tokens) CreateApiToken(ctx context.Context, req *cofferv1.CreateApiTokenRequest) (*cofferv1.CreateApiTokenResponse, error) {
	if err := checkName("name", req.GetName()); err != nil {
		return nil, err
	}
	role, err := oneOf("role", req.GetRole(), "", userRoles...)
	if err != nil {
		return nil, err
	}
	exp := protoconv.Time(req.GetExpiresAt())
	if !exp.IsZero() && !exp.After(s.d.Now()) {
		return nil, apierr.Invalid("expiresAt", "must be in the future")
	}
	plain, t, err := s.d.MintAPIToken(ctx, catalog.APIToken{Name: req.GetName(), Role: role, Scopes: req.GetScopes(), ExpiresAt: exp}, principal(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &cofferv1.CreateApiTokenResponse{ApiToken: tokenProto(t), Token: plain}, nil
}

// MintAPIToken stores a new token and returns its plaintext (shown once).
func (d *Deps) MintAPIToken(ctx context.Context, t catalog.APIToken, actor string) (string, catalog.APIToken, error) {
	plain, hash, prefix, err := auth.NewToken()
	if err != nil {
		return "", t, err
	}
	t.Hash, t.Prefix = hash, prefix
	if t, err = d.Store.CreateAPIToken(ctx, t); err != nil {
		return "", t, err
	}
	err = d.record(ctx, actor, "api_token.create", "api-token/"+t.ID,
		map[string]any{"name": t.Name, "role": t.Role, "scopes": t.Scopes, "prefix": t.Prefix})
	return plain, t, err
}

func (s *Tokens) DeleteApiToken(ctx context.Context, req *cofferv1.DeleteApiTokenRequest) (*cofferv1.DeleteApiTokenResponse, error) {
	t, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if t, err = s.d.Store.RevokeAPIToken(ctx, t.ID, s.d.Now()); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "api_token.revoke", "api-token/"+t.ID, map[string]any{"name": t.Name}); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteApiTokenResponse{ApiToken: tokenProto(t)}, nil
}
