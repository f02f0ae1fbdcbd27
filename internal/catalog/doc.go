// Package catalog is the controller's metadata store: backups, schedules,
// sources, storage locations, agents, tokens, jobs with leased attempts, the
// audit log and the scheduler's leader lease.
//
// Store is the contract. Two implementations satisfy it — PostgreSQL
// (catalog/postgres, for production and several controller replicas) and
// SQLite (catalog/sqlite, embedded, for `coffer dev` and single nodes) — and
// both pass the one conformance suite in catalog/catalogtest. The shared SQL
// lives in catalog/sqlstore; each engine contributes its dialect and its
// embedded, versioned migrations.
//
// Conventions every implementation follows:
//
//   - Types here are plain Go structs, never proto types; the controller
//     converts at its API boundary.
//   - Times are UTC with microsecond precision; a zero time.Time means "not
//     set" (NULL).
//   - The database clock is the only clock for leases. Callers obtain now
//     from Store.Now and pass it into every lease operation, so controller
//     replicas with skewed clocks still agree on who holds what.
//   - Failures are classified with the sentinel errors in errors.go (test
//     with errors.Is), so the controller maps them to gRPC codes in one place.
//   - Secrets (source secrets, storage credentials) are opaque ciphertext to
//     the store: encryption is the controller's job. Tokens are stored as
//     hashes only.
package catalog
