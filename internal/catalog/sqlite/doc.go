// Package sqlite opens the catalog on SQLite (modernc.org/sqlite, pure Go):
// the embedded store for `coffer dev` and single-node installs. Every
// transaction begins IMMEDIATE, so writers are serialised and job claims
// cannot race; WAL mode lets readers run alongside. Times are stored as
// integer unix microseconds. Migrations are embedded in migrations/.
package sqlite
