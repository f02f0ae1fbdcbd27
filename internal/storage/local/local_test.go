package local_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/local"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

func newBackend(t testing.TB) *local.Backend {
	t.Helper()
	be, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return be
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend { return newBackend(t) }, storagetest.Options{})
}

func BenchmarkLocal(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Backend { return newBackend(b) })
}
