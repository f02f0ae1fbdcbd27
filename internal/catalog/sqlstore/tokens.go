package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const joinTokenCols = `id, hash, agent_name, created_at, expires_at, used_at`

func scanJoinToken(r rowScanner) (catalog.JoinToken, error) {
	var t catalog.JoinToken
	err := r.Scan(&t.ID, bytesCol{&t.Hash}, &t.AgentName, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt},
		timeCol{&t.UsedAt})
	return t, err
}

// CreateJoinToken stores a join token's hash.
func (s *Store) CreateJoinToken(ctx context.Context, t catalog.JoinToken) (catalog.JoinToken, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.JoinToken{}, err
	}
	t.ID, t.CreatedAt = newID(), now
	if _, err := s.c().exec(ctx, `INSERT INTO join_tokens (`+joinTokenCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.Hash, t.AgentName, s.t(now), s.t(t.ExpiresAt), nil); err != nil {
		return catalog.JoinToken{}, s.fail("create join token", err)
	}
	return t, nil
}

// UseJoinToken marks a token used with one conditional UPDATE, so two
// concurrent enrollments cannot both succeed; a failed claim is then
// explained by reading the row.
func (s *Store) UseJoinToken(ctx context.Context, hash []byte, now time.Time) (catalog.JoinToken, error) {
	n, err := s.c().affected(ctx, `UPDATE join_tokens SET used_at = ?
		WHERE hash = ? AND used_at IS NULL AND expires_at > ?`, s.t(now), hash, s.t(now))
	if err != nil {
		return catalog.JoinToken{}, s.fail("use join token", err)
	}
	t, err := scanJoinToken(s.c().row(ctx, `SELECT `+joinTokenCols+` FROM join_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.JoinToken{}, fmt.Errorf("use join token: %w", catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.JoinToken{}, s.fail("use join token", err)
	}
	switch {
	case n == 1:
		return t, nil
	case !t.UsedAt.IsZero():
		return catalog.JoinToken{}, fmt.Errorf("join token %s: %w", t.ID, catalog.ErrTokenUsed)
	default:
		return catalog.JoinToken{}, fmt.Errorf("join token %s: %w", t.ID, catalog.ErrTokenExpired)
	}
}

const apiTokenCols = `id, name, role, scopes, hash, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(r rowScanner) (catalog.APIToken, error) {
	var t catalog.APIToken
	err := r.Scan(&t.ID, &t.Name, &t.Role, jsonCol{&t.Scopes}, bytesCol{&t.Hash}, &t.Prefix,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt}, timeCol{&t.RevokedAt})
	return t, err
}

// CreateAPIToken stores an API token's hash.
func (s *Store) CreateAPIToken(ctx context.Context, t catalog.APIToken) (catalog.APIToken, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.APIToken{}, err
	}
	t.ID, t.CreatedAt = newID(), now
	if _, err := s.c().exec(ctx, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.Name, t.Role, mustJSON(orNoStrings(t.Scopes)), t.Hash, t.Prefix, s.t(now), s.t(t.ExpiresAt),
		nil, nil); err != nil {
		return catalog.APIToken{}, s.fail("create api token "+t.Name, err)
	}
	return s.GetAPIToken(ctx, t.ID)
}

// GetAPIToken returns one token by ID.
func (s *Store) GetAPIToken(ctx context.Context, id string) (catalog.APIToken, error) {
	t, err := scanAPIToken(s.c().row(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE id = ?`, id))
	return t, s.fail("api token "+id, err)
}

// GetAPITokenByHash returns the token with this hash.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash []byte) (catalog.APIToken, error) {
	t, err := scanAPIToken(s.c().row(ctx, `SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = ?`, hash))
	return t, s.fail("api token", err)
}

// ListAPITokens returns one page of tokens, oldest first.
func (s *Store) ListAPITokens(ctx context.Context, f catalog.APITokenFilter) ([]catalog.APIToken, int, error) {
	where := " WHERE revoked_at IS NULL"
	if f.IncludeRevoked {
		where = ""
	}
	return pageOf(ctx, s, listQuery{what: "list api tokens", cols: apiTokenCols, table: "api_tokens", where: where, order: "created_at, id", page: f.Page}, scanAPIToken)
}

// RevokeAPIToken sets RevokedAt once.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, now time.Time) (catalog.APIToken, error) {
	n, err := s.c().affected(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.t(now), id)
	if err == nil {
		err = missing(n, "api token "+id)
	}
	if err != nil {
		return catalog.APIToken{}, s.fail("revoke api token", err)
	}
	return s.GetAPIToken(ctx, id)
}

// TouchAPIToken records a use.
func (s *Store) TouchAPIToken(ctx context.Context, id string, now time.Time) error {
	n, err := s.c().affected(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, s.t(now), id)
	if err == nil {
		err = missing(n, "api token "+id)
	}
	return s.fail("touch api token", err)
}
