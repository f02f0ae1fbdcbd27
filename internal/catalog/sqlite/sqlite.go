package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cofferhq/coffer/internal/catalog/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Dialect is SQLite's SQL dialect.
var Dialect = sqlstore.Dialect{
	Name:          "sqlite",
	TimesAsMicros: true,
	// The database clock in unix microseconds ('now' is stable within one
	// statement, so both strftime calls see the same instant).
	NowSQL: `SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000000
		+ CAST(substr(strftime('%f', 'now'), 4) AS INTEGER) * 1000`,
	IsUniqueViolation: func(err error) bool {
		c := code(err)
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	IsForeignKeyViolation: func(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
}

func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// Open opens (creating if needed) the database file at path, applies
// pending migrations and returns the store.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return finish(ctx, db, path)
}

// OpenMemory opens a private in-memory database (for tests and throwaway
// dev runs). It uses one connection, so every query sees the same database.
func OpenMemory(ctx context.Context) (*sqlstore.Store, error) {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	name := "coffer-" + hex.EncodeToString(b[:])
	q := url.Values{}
	q.Set("mode", "memory")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+name+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open in-memory sqlite: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return finish(ctx, db, ":memory:")
}

func finish(ctx context.Context, db *sql.DB, what string) (*sqlstore.Store, error) {
	if err := Migrate(ctx, db); err != nil {
		_ = db.Close() // the migration error is the one to report
		return nil, fmt.Errorf("sqlite %s: %w", what, err)
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

// Migrations returns the embedded SQLite migrations in order.
func Migrations() ([]sqlstore.Migration, error) {
	return sqlstore.LoadMigrations(migrationFS, "migrations")
}
