package mem_test

import (
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend { return mem.New() }, storagetest.Options{})
}

func TestConformanceImmutable(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return mem.New(mem.WithImmutable())
	}, storagetest.Options{Immutable: true})
}

func BenchmarkMem(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Backend { return mem.New() })
}
