package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pgx5Config parses dsn without echoing it in errors: a DSN may hold a
// password.
func pgx5Config(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres DSN: invalid connection string")
	}
	return cfg, nil
}
