package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerDSN is the shared PostgreSQL server of the machine (the one that
// runs beside the tests, not a throwaway cluster): COFFER_TEST_POSTGRES_DSN,
// default postgres@127.0.0.1:5432 with trust authentication.
func ServerDSN() string {
	if dsn := os.Getenv("COFFER_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// FreshDatabase creates a database named prefix + random hex on the shared
// server, drops it when the test ends, and returns its DSN. Without a
// server the test fails (naming what for), or skips when COFFER_ALLOW_SKIP=1.
func FreshDatabase(t testing.TB, prefix, what string) string {
	t.Helper()
	admin := ServerDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("COFFER_ALLOW_SKIP") == "1" {
			t.Skipf("PostgreSQL for %s: %v", what, err)
		}
		t.Fatalf("PostgreSQL is required at %s for %s (set COFFER_ALLOW_SKIP=1 to skip): %v", redacted(admin), what, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(context.Background())
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		conn.Close(ctx)
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable DSN)"
}
