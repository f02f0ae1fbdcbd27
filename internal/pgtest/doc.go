// Package pgtest starts throwaway PostgreSQL clusters for tests: initdb
// into a fresh temporary directory, a server on a free loopback port with
// its socket in that directory, and removal when the test ends. The server
// binaries come from /usr/lib/postgresql/15/bin (or COFFER_PG_BINDIR).
//
// initdb and postgres refuse to run as root, so the cluster runs as the
// `postgres` system user and owns its directory; Chown hands other paths
// (a repository, a key file) to that user too.
//
// Without the binaries a test fails with a message naming
// scripts/deps/postgres.sh, unless COFFER_ALLOW_SKIP=1.
package pgtest
