// Package restorer writes a snapshot's tree back to a directory. Files are
// written under a temporary name by a pool of workers that fetch, authenticate
// and decompress chunks in parallel, and renamed into place only when every
// byte has been verified, so a failed restore never leaves a file with
// unauthenticated or missing content under its real name. Metadata is
// applied after content; directories last, deepest first.
package restorer
