package controllertest

import (
	"testing"

	"github.com/cofferhq/coffer/internal/pgtest"
)

// PostgresCatalog creates a database on the test PostgreSQL server
// (COFFER_TEST_POSTGRES_DSN, default postgres@127.0.0.1:5432) for one
// controller's catalog, drops it when the test ends, and returns its DSN.
// Without a server the test fails, or skips when COFFER_ALLOW_SKIP=1.
func PostgresCatalog(t testing.TB) string {
	t.Helper()
	return pgtest.FreshDatabase(t, "coffer_ct_", "the controller catalog")
}
