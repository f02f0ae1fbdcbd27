package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// Store implements catalog.Store on a *sql.DB.
type Store struct {
	db *sql.DB
	d  *Dialect
}

var _ catalog.Store = (*Store)(nil)

// New wraps an open, migrated database. Close closes db.
func New(db *sql.DB, d Dialect) *Store {
	return &Store{db: db, d: &d}
}

// DB returns the underlying database, for engine packages and tests.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Now returns the database clock.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := s.db.QueryRowContext(ctx, s.d.NowSQL).Scan(timeCol{&now}); err != nil {
		return time.Time{}, fmt.Errorf("%s: read clock: %w", s.d.Name, err)
	}
	return now, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs rebound queries on a *sql.DB or *sql.Tx.
type conn struct {
	q querier
	d *Dialect
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.d.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.d.rebind(query), args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.d.rebind(query), args...)
}

// affected returns how many rows a statement changed.
func (c conn) affected(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *Store) c() conn { return conn{q: s.db, d: s.d} }

// inTx runs fn in a transaction, committing when it returns nil. SQLite
// databases are opened so that every transaction begins IMMEDIATE.
func (s *Store) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", s.d.Name, err)
	}
	if err := fn(conn{q: tx, d: s.d}); err != nil {
		_ = tx.Rollback() // the fn error is the one to report
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", s.d.Name, err)
	}
	return nil
}

// fail wraps err with what was being done, classifying driver errors into
// catalog sentinels: "no rows" is ErrNotFound, unique and foreign-key
// violations are ErrConflict.
func (s *Store) fail(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, catalog.ErrNotFound)
	case s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w (%v)", what, catalog.ErrConflict, err)
	case s.d.IsForeignKeyViolation != nil && s.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: %w: still referenced (%v)", what, catalog.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// countAndList runs a COUNT(*) over from+where and a page of rows, scanning
// each with scan. cols, from and where are SQL fragments; args bind where.
func (s *Store) countAndList(ctx context.Context, cols, from, where, order string, args []any, p catalog.Page, scan func(rowScanner) error) (int, error) {
	c := s.c()
	var total int
	if err := c.row(ctx, "SELECT COUNT(*) FROM "+from+where, args...).Scan(&total); err != nil {
		return 0, err
	}
	if total == 0 {
		return 0, nil
	}
	p = p.Normalize()
	q := "SELECT " + cols + " FROM " + from + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	rows, err := c.query(ctx, q, append(append([]any(nil), args...), p.Limit, p.Offset())...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return 0, err
		}
	}
	return total, rows.Err()
}

// missing returns ErrNotFound for an update that changed no row.
func missing(n int64, what string) error {
	if n == 0 {
		return fmt.Errorf("%s: %w", what, catalog.ErrNotFound)
	}
	return nil
}
