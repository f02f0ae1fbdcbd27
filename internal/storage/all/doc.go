// Package all opens any storage backend from a repository URL. The schemes
// are listed explicitly in this package's drivers table (no init()
// registration), so what a binary supports is visible in one place:
//
//	/srv/backups, file:///srv/backups         local directory
//	s3://bucket/prefix?endpoint=...&region=... S3 or S3-compatible
//	azure://container/prefix?account=...       Azure Blob Storage
//	gs://bucket/prefix?endpoint=...            Google Cloud Storage
//	sftp://user@host:port/path?key=...&known_hosts=...
//	mem://                                     in memory, for tests
//
// Credentials come from the usual environment variables (see Open). A URL
// may carry a password or key in its user info; Redact, and every
// backend's Location, strip them before anything is logged.
//
// Open wraps the driver with the retry wrapper (and the metrics and limit
// wrappers when asked): retry(limit(metrics(driver))).
package all
