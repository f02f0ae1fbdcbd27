// Package sqlstore implements catalog.Store over database/sql for every SQL
// engine. Queries are written once with ? placeholders; a Dialect supplies
// what differs between engines: placeholder syntax, the clock query, how
// times are stored, row locking, and error classification. Engine packages
// (catalog/postgres, catalog/sqlite) open the database, run their embedded
// migrations with Migrate, and wrap the result with New.
package sqlstore
