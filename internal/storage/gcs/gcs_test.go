package gcs_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/gcs"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

var prefixSeq atomic.Int64

// testConfig points at the shared fake-gcs-server under a prefix of its own,
// with small chunks and pages so the suite exercises both.
func testConfig(t testing.TB, bucket string) gcs.Config {
	srv := testserver.GCS(t)
	return gcs.Config{
		Bucket:       bucket,
		Prefix:       fmt.Sprintf("%s/%d", t.Name(), prefixSeq.Add(1)),
		Endpoint:     srv.Endpoint,
		ProjectID:    srv.ProjectID,
		ChunkSize:    1 << 20,
		ListPageSize: 500,
	}
}

func newBackend(t testing.TB, cfg gcs.Config) *gcs.Backend {
	t.Helper()
	be, err := gcs.Create(context.Background(), cfg)
	if err != nil {
		t.Fatalf("gcs.Create: %v", err)
	}
	return be
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newBackend(t, testConfig(t, "conformance"))
	}, storagetest.Options{
		ObjectCount:     1100,
		LargeObjectSize: 6 << 20,
	})
}

func BenchmarkUploadDownload(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Backend {
		return newBackend(b, benchConfig(b))
	})
}

// benchConfig uses the driver's default chunk size.
func benchConfig(b *testing.B) gcs.Config {
	cfg := testConfig(b, "bench")
	cfg.ChunkSize, cfg.ListPageSize = 0, 0
	return cfg
}
