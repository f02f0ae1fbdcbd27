package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/catalog/catalogtest"
	"github.com/cofferhq/coffer/internal/catalog/postgres"
)

// The server the suite runs against; each run creates a database with a
// random name there and drops it afterwards. Each store gets its own schema.
var (
	serverDSN = envOr("COFFER_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	testDB    string // database of this run
	skipWhy   string // set when the server is missing and COFFER_ALLOW_SKIP=1
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// redacted hides a password in a DSN URL before it is printed.
func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable DSN)"
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := adminDB(ctx)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL is required at %s for the catalog tests (it runs on the dev machines; "+
			"CI's .ci/run must start it): %v", redacted(serverDSN), err)
		if os.Getenv("COFFER_ALLOW_SKIP") != "1" {
			fmt.Fprintln(os.Stderr, "FAIL:", msg, "(set COFFER_ALLOW_SKIP=1 to skip)")
			return 1
		}
		skipWhy = msg
		return m.Run()
	}
	defer admin.Close()
	testDB = randomName("coffer_test_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+testDB); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: create test database:", err)
		return 1
	}
	// Durability is not under test; commits without fsync keep the suite fast.
	if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+testDB+" SET synchronous_commit = off"); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: configure test database:", err)
		return 1
	}
	code := m.Run()
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dcancel()
	if _, err := admin.ExecContext(dctx, "DROP DATABASE "+testDB+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "drop test database:", err)
		return 1
	}
	return code
}

func adminDB(ctx context.Context) (*sql.DB, error) {
	db, err := sql.Open("pgx", serverDSN)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// dsnFor returns the test database's DSN with search_path set to schema.
func dsnFor(t testing.TB, schema string) string {
	u, err := url.Parse(serverDSN)
	if err != nil {
		t.Fatalf("parse COFFER_TEST_POSTGRES_DSN: %v", err)
	}
	u.Path = "/" + testDB
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store in a fresh schema of the run's database.
func openStore(t testing.TB) catalog.Store {
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ctx := context.Background()
	schema := randomName("s_")
	dsn := dsnFor(t, schema)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	_ = db.Close()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	catalogtest.Run(t, openStore)
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	t.Parallel()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	ctx := context.Background()
	s := openStore(t).(interface {
		DB() *sql.DB
		SchemaVersion(context.Context) (int, error)
	})
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- postgres.Migrate(ctx, s.DB()) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != ms[len(ms)-1].Version {
		t.Fatalf("schema version = %d (%v), want %d", v, err, ms[len(ms)-1].Version)
	}
	var applied int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_version").Scan(&applied); err != nil || applied != len(ms) {
		t.Fatalf("schema_version rows = %d (%v), want %d (each migration once)", applied, err, len(ms))
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://coffer:s3cr3t-pw@127.0.0.1:1/nope?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func BenchmarkListBackups(b *testing.B) {
	catalogtest.BenchListBackups(b, openStore)
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver
