// Package postgres is the PostgreSQL source driver: physical base backups
// through the non-exclusive backup API with the data directory and
// tablespaces read locally (full, incremental by file metadata, or
// --delta by checksum, with page-aligned chunks for relation files), logical
// dumps streamed from pg_dump, continuous WAL archiving into the
// repository (wal-push / wal-fetch), and restores to a new data directory
// that replay to a point in time, the end of the archive or the backup's
// consistency point.
//
// Every server connection goes through pgx with the source's settings
// (host or socket directory, port, user, database); passwords come from
// the source's secrets or a passfile and never appear on a command line:
// child tools get them through PGPASSWORD in their environment only.
package postgres
