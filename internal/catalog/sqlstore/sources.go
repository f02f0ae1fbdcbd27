package sqlstore

import (
	"context"
	"fmt"

	"github.com/cofferhq/coffer/internal/catalog"
)

const sourceCols = `id, name, type, agent_id, config, secrets, secret_keys, storage_location_id,
	created_at, updated_at, idempotency_key`

func scanSource(r rowScanner) (catalog.Source, error) {
	var v catalog.Source
	err := r.Scan(&v.ID, &v.Name, &v.Type, &v.AgentID, jsonCol{&v.Config}, bytesCol{&v.Secrets},
		jsonCol{&v.SecretKeys}, &v.StorageLocationID, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt},
		strCol{&v.IdempotencyKey})
	return v, err
}

// CreateSource stores a source (once per idempotency key).
func (s *Store) CreateSource(ctx context.Context, v catalog.Source) (catalog.Source, bool, error) {
	return createOnce(ctx, s, v.IdempotencyKey, s.sourceByKey, func() (catalog.Source, error) {
		now, err := s.Now(ctx)
		if err != nil {
			return catalog.Source{}, err
		}
		cfg, err := jsonArg(orEmpty(v.Config))
		if err != nil {
			return catalog.Source{}, fmt.Errorf("source %s config: %w", v.Name, err)
		}
		v.ID, v.CreatedAt, v.UpdatedAt = newID(), now, now
		_, err = s.c().exec(ctx, `INSERT INTO sources (`+sourceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.Name, v.Type, v.AgentID, cfg, v.Secrets, mustJSON(orNoStrings(v.SecretKeys)),
			v.StorageLocationID, s.t(now), s.t(now), nullStr(v.IdempotencyKey))
		if err != nil {
			return catalog.Source{}, s.fail("create source "+v.Name, err)
		}
		return s.GetSource(ctx, v.ID)
	})
}

func (s *Store) sourceByKey(ctx context.Context, key string) (catalog.Source, error) {
	v, err := scanSource(s.c().row(ctx, `SELECT `+sourceCols+` FROM sources WHERE idempotency_key = ?`, key))
	return v, s.fail("source with idempotency key", err)
}

// GetSource returns one source by ID.
func (s *Store) GetSource(ctx context.Context, id string) (catalog.Source, error) {
	v, err := scanSource(s.c().row(ctx, `SELECT `+sourceCols+` FROM sources WHERE id = ?`, id))
	return v, s.fail("source "+id, err)
}

// GetSourceByName returns one source by name.
func (s *Store) GetSourceByName(ctx context.Context, name string) (catalog.Source, error) {
	v, err := scanSource(s.c().row(ctx, `SELECT `+sourceCols+` FROM sources WHERE name = ?`, name))
	return v, s.fail("source named "+name, err)
}

// ListSources returns one page of sources by name.
func (s *Store) ListSources(ctx context.Context, f catalog.SourceFilter) ([]catalog.Source, int, error) {
	var where []string
	var args []any
	if f.Type != "" {
		where = append(where, "type = ?")
		args = append(args, f.Type)
	}
	if f.AgentID != "" {
		where = append(where, "agent_id = ?")
		args = append(args, f.AgentID)
	}
	return pageOf(ctx, s, listQuery{what: "list sources", cols: sourceCols, table: "sources", where: whereClause(where), order: "name, id", args: args, page: f.Page}, scanSource)
}

// UpdateSource replaces name, type, agent, config, secrets and location.
func (s *Store) UpdateSource(ctx context.Context, v catalog.Source) (catalog.Source, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.Source{}, err
	}
	cfg, err := jsonArg(orEmpty(v.Config))
	if err != nil {
		return catalog.Source{}, fmt.Errorf("source %s config: %w", v.ID, err)
	}
	n, err := s.c().affected(ctx, `UPDATE sources SET name = ?, type = ?, agent_id = ?, config = ?,
		secrets = ?, secret_keys = ?, storage_location_id = ?, updated_at = ? WHERE id = ?`,
		v.Name, v.Type, v.AgentID, cfg, v.Secrets, mustJSON(orNoStrings(v.SecretKeys)), v.StorageLocationID,
		s.t(now), v.ID)
	if err == nil {
		err = missing(n, "source "+v.ID)
	}
	if err != nil {
		return catalog.Source{}, s.fail("update source", err)
	}
	return s.GetSource(ctx, v.ID)
}

// DeleteSource removes a source; its backups stay.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	n, err := s.c().affected(ctx, `DELETE FROM sources WHERE id = ?`, id)
	if err == nil {
		err = missing(n, "source "+id)
	}
	return s.fail("delete source", err)
}
