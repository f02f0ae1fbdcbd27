package sqlstore

import (
	"context"

	"github.com/cofferhq/coffer/internal/catalog"
)

const locationCols = `id, name, url, options, credentials, credential_keys, is_default, created_at,
	updated_at, idempotency_key`

func scanLocation(r rowScanner) (catalog.StorageLocation, error) {
	var v catalog.StorageLocation
	err := r.Scan(&v.ID, &v.Name, &v.URL, jsonCol{&v.Options}, bytesCol{&v.Credentials},
		jsonCol{&v.CredentialKeys}, &v.IsDefault, timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt},
		strCol{&v.IdempotencyKey})
	return v, err
}

func orNoOptions(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CreateStorageLocation stores a location (once per idempotency key); a
// default location takes the flag from the previous default.
func (s *Store) CreateStorageLocation(ctx context.Context, v catalog.StorageLocation) (catalog.StorageLocation, bool, error) {
	return createOnce(ctx, s, v.IdempotencyKey, s.locationByKey, func() (catalog.StorageLocation, error) {
		now, err := s.Now(ctx)
		if err != nil {
			return catalog.StorageLocation{}, err
		}
		v.ID, v.CreatedAt, v.UpdatedAt = newID(), now, now
		err = s.inTx(ctx, func(c conn) error {
			if err := s.clearDefault(ctx, c, v.IsDefault); err != nil {
				return err
			}
			_, err := c.exec(ctx, `INSERT INTO storage_locations (`+locationCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				v.ID, v.Name, v.URL, mustJSON(orNoOptions(v.Options)), v.Credentials,
				mustJSON(orNoStrings(v.CredentialKeys)), v.IsDefault, s.t(now), s.t(now), nullStr(v.IdempotencyKey))
			return err
		})
		if err != nil {
			return catalog.StorageLocation{}, s.fail("create storage location "+v.Name, err)
		}
		return s.GetStorageLocation(ctx, v.ID)
	})
}

// clearDefault drops the default flag from all locations when isDefault.
func (s *Store) clearDefault(ctx context.Context, c conn, isDefault bool) error {
	if !isDefault {
		return nil
	}
	_, err := c.exec(ctx, `UPDATE storage_locations SET is_default = ? WHERE is_default = ?`, false, true)
	return err
}

func (s *Store) locationByKey(ctx context.Context, key string) (catalog.StorageLocation, error) {
	v, err := scanLocation(s.c().row(ctx, `SELECT `+locationCols+` FROM storage_locations WHERE idempotency_key = ?`, key))
	return v, s.fail("storage location with idempotency key", err)
}

// GetStorageLocation returns one location.
func (s *Store) GetStorageLocation(ctx context.Context, id string) (catalog.StorageLocation, error) {
	v, err := scanLocation(s.c().row(ctx, `SELECT `+locationCols+` FROM storage_locations WHERE id = ?`, id))
	return v, s.fail("storage location "+id, err)
}

// DefaultStorageLocation returns the default location.
func (s *Store) DefaultStorageLocation(ctx context.Context) (catalog.StorageLocation, error) {
	v, err := scanLocation(s.c().row(ctx, `SELECT `+locationCols+` FROM storage_locations WHERE is_default = ?`, true))
	return v, s.fail("default storage location", err)
}

// ListStorageLocations returns one page of locations by name.
func (s *Store) ListStorageLocations(ctx context.Context, p catalog.Page) ([]catalog.StorageLocation, int, error) {
	return pageOf(ctx, s, listQuery{what: "list storage locations", cols: locationCols, table: "storage_locations", order: "name, id", page: p}, scanLocation)
}

// UpdateStorageLocation replaces name, URL, options, credentials and the
// default flag.
func (s *Store) UpdateStorageLocation(ctx context.Context, v catalog.StorageLocation) (catalog.StorageLocation, error) {
	now, err := s.Now(ctx)
	if err != nil {
		return catalog.StorageLocation{}, err
	}
	err = s.inTx(ctx, func(c conn) error {
		if err := s.clearDefault(ctx, c, v.IsDefault); err != nil {
			return err
		}
		n, err := c.affected(ctx, `UPDATE storage_locations SET name = ?, url = ?, options = ?, credentials = ?,
			credential_keys = ?, is_default = ?, updated_at = ? WHERE id = ?`,
			v.Name, v.URL, mustJSON(orNoOptions(v.Options)), v.Credentials, mustJSON(orNoStrings(v.CredentialKeys)),
			v.IsDefault, s.t(now), v.ID)
		if err != nil {
			return err
		}
		return missing(n, "storage location "+v.ID)
	})
	if err != nil {
		return catalog.StorageLocation{}, s.fail("update storage location", err)
	}
	return s.GetStorageLocation(ctx, v.ID)
}

// DeleteStorageLocation forgets a location.
func (s *Store) DeleteStorageLocation(ctx context.Context, id string) error {
	n, err := s.c().affected(ctx, `DELETE FROM storage_locations WHERE id = ?`, id)
	if err == nil {
		err = missing(n, "storage location "+id)
	}
	return s.fail("delete storage location", err)
}
