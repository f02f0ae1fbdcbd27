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

// listQuery is one paged list: SELECT cols FROM table where ORDER BY order.
type listQuery struct {
	what  string // for errors, e.g. "list backups"
	cols  string
	table string
	where string // "" or " WHERE ..." binding args
	order string
	args  []any
	page  catalog.Page
}

// pageOf counts the rows q matches and returns its page, scanned with scan.
func pageOf[T any](ctx context.Context, s *Store, q listQuery, scan func(rowScanner) (T, error)) ([]T, int, error) {
	var total int
	if err := s.c().row(ctx, "SELECT COUNT(*) FROM "+q.table+q.where, q.args...).Scan(&total); err != nil {
		return nil, 0, s.fail(q.what, err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	p := q.page.Normalize()
	args := append(append([]any(nil), q.args...), p.Limit, p.Offset())
	out, err := queryAll(ctx, s, s.c(), q.what,
		"SELECT "+q.cols+" FROM "+q.table+q.where+" ORDER BY "+q.order+" LIMIT ? OFFSET ?", args, scan)
	return out, total, err
}

// queryAll runs a query on c and scans every row with scan.
func queryAll[T any](ctx context.Context, s *Store, c conn, what, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, s.fail(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(what, err)
		}
		out = append(out, v)
	}
	return out, s.fail(what, rows.Err())
}

// missing returns ErrNotFound for an update that changed no row.
func missing(n int64, what string) error {
	if n == 0 {
		return fmt.Errorf("%s: %w", what, catalog.ErrNotFound)
	}
	return nil
}
