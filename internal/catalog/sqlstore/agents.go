package sqlstore

import (
	"context"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

const agentCols = `id, name, hostname, version, capabilities, cert_serial, cert_fingerprint,
	cert_expires_at, last_seen, created_at, revoked_at`

func scanAgent(r rowScanner) (catalog.Agent, error) {
	var a catalog.Agent
	err := r.Scan(&a.ID, &a.Name, &a.Hostname, &a.Version, jsonCol{&a.Capabilities}, &a.CertSerial,
		&a.CertFingerprint, timeCol{&a.CertExpiresAt}, timeCol{&a.LastSeen}, timeCol{&a.CreatedAt},
		timeCol{&a.RevokedAt})
	return a, err
}

// CreateAgent stores an enrolled agent. An empty ID is assigned.
func (s *Store) CreateAgent(ctx context.Context, a catalog.Agent) (catalog.Agent, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.Agent{}, err
	}
	if a.ID == "" {
		a.ID = newID()
	}
	_, err = s.c().exec(ctx, `INSERT INTO agents (`+agentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Hostname, a.Version, mustJSON(orNoStrings(a.Capabilities)), a.CertSerial,
		a.CertFingerprint, s.t(a.CertExpiresAt), s.t(a.LastSeen), s.t(now), s.t(a.RevokedAt))
	if err != nil {
		return catalog.Agent{}, s.fail("create agent "+a.Name, err)
	}
	return s.GetAgent(ctx, a.ID)
}

// GetAgent returns one agent.
func (s *Store) GetAgent(ctx context.Context, id string) (catalog.Agent, error) {
	a, err := scanAgent(s.c().row(ctx, `SELECT `+agentCols+` FROM agents WHERE id = ?`, id))
	return a, s.fail("agent "+id, err)
}

// ListAgents returns one page of agents by name.
func (s *Store) ListAgents(ctx context.Context, p catalog.Page) ([]catalog.Agent, int, error) {
	return pageOf(ctx, s, listQuery{what: "list agents", cols: agentCols, table: "agents", order: "name, id", page: p}, scanAgent)
}

// RenameAgent changes an agent's name.
func (s *Store) RenameAgent(ctx context.Context, id, name string) (catalog.Agent, error) {
	return s.updateAgent(ctx, id, `UPDATE agents SET name = ? WHERE id = ?`, name, id)
}

// SetAgentCert records the agent's current certificate.
func (s *Store) SetAgentCert(ctx context.Context, id string, c catalog.AgentCert) (catalog.Agent, error) {
	return s.updateAgent(ctx, id, `UPDATE agents SET cert_serial = ?, cert_fingerprint = ?, cert_expires_at = ?
		WHERE id = ?`, c.Serial, c.Fingerprint, s.t(c.ExpiresAt), id)
}

// TouchAgent records a hello or heartbeat.
func (s *Store) TouchAgent(ctx context.Context, id string, now time.Time, version string, capabilities []string) error {
	q, args := `UPDATE agents SET last_seen = ?, version = ? WHERE id = ?`, []any{s.t(now), version, id}
	if capabilities != nil {
		q = `UPDATE agents SET last_seen = ?, version = ?, capabilities = ? WHERE id = ?`
		args = []any{s.t(now), version, mustJSON(capabilities), id}
	}
	_, err := s.updateAgent(ctx, id, q, args...)
	return err
}

// RevokeAgent sets RevokedAt once.
func (s *Store) RevokeAgent(ctx context.Context, id string, now time.Time) (catalog.Agent, error) {
	return s.updateAgent(ctx, id, `UPDATE agents SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.t(now), id)
}

// DeleteAgent removes an agent.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	n, err := s.c().affected(ctx, `DELETE FROM agents WHERE id = ?`, id)
	if err == nil {
		err = missing(n, "agent "+id)
	}
	return s.fail("delete agent", err)
}

func (s *Store) updateAgent(ctx context.Context, id, q string, args ...any) (catalog.Agent, error) {
	n, err := s.c().affected(ctx, q, args...)
	if err == nil {
		err = missing(n, "agent "+id)
	}
	if err != nil {
		return catalog.Agent{}, s.fail("update agent", err)
	}
	return s.GetAgent(ctx, id)
}
