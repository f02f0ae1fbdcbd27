package azure_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/azure"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

var prefixSeq atomic.Int64

// testConfig points at the shared Azurite under a prefix of its own, with
// small blocks and pages so the suite exercises parallel blocks and paging.
func testConfig(t testing.TB, container string) azure.Config {
	srv := testserver.Azure(t)
	return azure.Config{
		Container:    container,
		Prefix:       fmt.Sprintf("%s/%d", t.Name(), prefixSeq.Add(1)),
		AccountName:  srv.AccountName,
		AccountKey:   srv.AccountKey,
		Endpoint:     srv.Endpoint,
		BlockSize:    1 << 20,
		Concurrency:  4,
		ListPageSize: 500,
	}
}

func newBackend(t testing.TB, cfg azure.Config) *azure.Backend {
	t.Helper()
	be, err := azure.Create(context.Background(), cfg)
	if err != nil {
		t.Fatalf("azure.Create: %v", err)
	}
	return be
}

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testserver.Azure(t)
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newBackend(t, testConfig(t, "conformance"))
	}, storagetest.Options{
		ObjectCount:     1100,
		LargeObjectSize: 6 << 20,
		Secrets:         []string{srv.AccountKey},
	})
}

func BenchmarkUploadDownload(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Backend {
		return newBackend(b, benchConfig(b))
	})
}

// benchConfig uses the driver's default block size and concurrency.
func benchConfig(b *testing.B) azure.Config {
	cfg := testConfig(b, "bench")
	cfg.BlockSize, cfg.Concurrency, cfg.ListPageSize = 0, 0, 0
	return cfg
}
