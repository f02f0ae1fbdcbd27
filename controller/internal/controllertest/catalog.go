package controllertest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// PostgresCatalog creates a database on the test PostgreSQL server
// (COFFER_TEST_POSTGRES_DSN, default postgres@127.0.0.1:5432) for one
// controller's catalog, drops it when the test ends, and returns its DSN.
// Without a server the test fails, or skips when COFFER_ALLOW_SKIP=1.
func PostgresCatalog(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("COFFER_TEST_POSTGRES_DSN")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("COFFER_ALLOW_SKIP") == "1" {
			t.Skipf("PostgreSQL catalog server: %v", err)
		}
		t.Fatalf("PostgreSQL is required at %s for the catalog (set COFFER_ALLOW_SKIP=1 to skip): %v", admin, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "coffer_ct_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		db.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
