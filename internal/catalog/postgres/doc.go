// Package postgres opens the catalog on PostgreSQL through pgx: the
// production store, shared by several controller replicas. Jobs are claimed
// with FOR UPDATE SKIP LOCKED, the audit log is serialised with a table
// lock, and migrations (embedded, in migrations/) run under an advisory lock
// so replicas starting together apply each one once.
package postgres
