package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cofferhq/coffer/internal/catalog/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is an arbitrary constant naming Coffer's advisory lock.
const migrationLockKey = 0x636f66666572 // "coffer"

// Dialect is PostgreSQL's SQL dialect.
var Dialect = sqlstore.Dialect{
	Name:                  "postgres",
	NumberedPlaceholders:  true,
	NowSQL:                "SELECT now()",
	SkipLocked:            " FOR UPDATE SKIP LOCKED",
	ForUpdate:             " FOR UPDATE",
	LockAuditSQL:          "LOCK TABLE audit_log IN EXCLUSIVE MODE",
	MigrationLockSQL:      fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockKey),
	IsUniqueViolation:     func(err error) bool { return pgCode(err) == "23505" },
	IsForeignKeyViolation: func(err error) bool { return pgCode(err) == "23503" },
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Open connects to dsn (a libpq URL or key=value string), applies pending
// migrations and returns the store.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	cfg, err := pgx5Config(dsn)
	if err != nil {
		return nil, err
	}
	// List queries bind LIMIT/OFFSET and filters as parameters; a generic
	// cached plan cannot see them and picks sort-everything plans, so plan
	// each execution with its values unless the DSN says otherwise.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cfg)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close() // the ping error is the one to report
		return nil, fmt.Errorf("connect to postgres %s: %w", cfg.Host, err)
	}
	if err := Migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return sqlstore.New(db, Dialect), nil
}

// Migrate applies the embedded migrations to db.
func Migrate(ctx context.Context, db *sql.DB) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, db, Dialect, ms)
}

// Migrations returns the embedded PostgreSQL migrations in order.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFS, "migrations")
}
