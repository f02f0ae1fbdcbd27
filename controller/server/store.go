package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/catalog/postgres"
	"github.com/cofferhq/coffer/internal/catalog/sqlite"
)

// openCatalog opens PostgreSQL for postgres:// DSNs, else SQLite at the
// path (a "sqlite://" prefix is accepted).
func openCatalog(ctx context.Context, dsn string) (catalog.Store, string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err := postgres.Open(ctx, dsn)
		return s, "postgres", err
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, "", fmt.Errorf("catalog directory: %w", err)
	}
	s, err := sqlite.Open(ctx, path)
	return s, "sqlite", err
}
