package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/catalog/catalogtest"
	"github.com/cofferhq/coffer/internal/catalog/sqlite"
	"github.com/cofferhq/coffer/internal/catalog/sqlstore"
)

func openFile(t testing.TB) catalog.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatalf("open sqlite file: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openMemory(t testing.TB) catalog.Store {
	s, err := sqlite.OpenMemory(context.Background())
	if err != nil {
		t.Fatalf("open sqlite memory: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformanceFile(t *testing.T) {
	t.Parallel()
	catalogtest.Run(t, openFile)
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	catalogtest.Run(t, openMemory)
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := s.CreateSource(ctx, catalog.Source{Name: "files", Type: catalog.SourceFiles, AgentID: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path) // migrations must be a no-op now
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetSource(ctx, src.ID); err != nil {
		t.Fatalf("source lost after reopen: %v", err)
	}
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != ms[len(ms)-1].Version {
		t.Fatalf("schema version = %d (%v), want %d", v, err, ms[len(ms)-1].Version)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if s, err := sqlite.Open(ctx, path); err == nil {
		_ = s.Close()
		t.Fatal("opened a database with a newer schema, want refusal")
	}
}

func TestMigrationNames(t *testing.T) {
	t.Parallel()
	ms, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	assertSequential(t, ms)
}

func assertSequential(t *testing.T, ms []sqlstore.Migration) {
	t.Helper()
	for i, m := range ms {
		if m.Version != i+1 {
			t.Fatalf("migration %s has version %d, want %d (no gaps)", m.Name, m.Version, i+1)
		}
	}
}

func BenchmarkListBackups(b *testing.B) {
	catalogtest.BenchListBackups(b, openFile)
}
