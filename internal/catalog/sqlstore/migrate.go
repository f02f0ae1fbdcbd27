package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one versioned schema change read from an embedded folder.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads dir of fsys: files named NNNN_description.sql,
// applied in version order. Versions must be unique and positive.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations %s: %w", dir, err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and _", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration %s: version %d already used by %s", name, v, prev)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the migrations newer than the schema_version table says,
// in one transaction, recording each. Concurrent callers are serialised by
// the dialect's migration lock, so each migration runs once. It refuses a
// database whose schema is newer than the binary knows.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, migrations []Migration) error {
	s := New(db, d)
	return s.inTx(ctx, func(c conn) error {
		if d.MigrationLockSQL != "" {
			if _, err := c.exec(ctx, d.MigrationLockSQL); err != nil {
				return fmt.Errorf("%s: lock migrations: %w", d.Name, err)
			}
		}
		appliedCol := "applied_at TIMESTAMPTZ NOT NULL"
		if d.TimesAsMicros {
			appliedCol = "applied_at INTEGER NOT NULL"
		}
		if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, `+appliedCol+`)`); err != nil {
			return fmt.Errorf("%s: create schema_version: %w", d.Name, err)
		}
		var current int
		if err := c.row(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("%s: read schema version: %w", d.Name, err)
		}
		if n := len(migrations); n > 0 && current > migrations[n-1].Version {
			return fmt.Errorf("%s: schema version %d is newer than this binary's %d", d.Name, current, migrations[n-1].Version)
		}
		for _, m := range migrations {
			if m.Version <= current {
				continue
			}
			if _, err := c.exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: apply migration %s: %w", d.Name, m.Name, err)
			}
			if _, err := c.exec(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, (`+d.NowSQL+`))`,
				m.Version, m.Name); err != nil {
				return fmt.Errorf("%s: record migration %s: %w", d.Name, m.Name, err)
			}
		}
		return nil
	})
}

// SchemaVersion returns the highest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.c().row(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s: read schema version: %w", s.d.Name, err)
	}
	return v, nil
}
