package s3_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/s3"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

var prefixSeq atomic.Int64

// testConfig points at the shared versitygw, in bucket, under a prefix no
// other test uses. Parts are the 5 MiB minimum to keep multipart tests fast.
func testConfig(t testing.TB, bucket string) s3.Config {
	srv := testserver.S3(t)
	return s3.Config{
		Bucket:             bucket,
		Prefix:             fmt.Sprintf("%s/%d", t.Name(), prefixSeq.Add(1)),
		Endpoint:           srv.Endpoint,
		Region:             srv.Region,
		AccessKeyID:        srv.AccessKey,
		SecretAccessKey:    srv.SecretKey,
		PartSize:           5 << 20,
		MultipartThreshold: 5 << 20,
		Concurrency:        4,
	}
}

func newBackend(t testing.TB, cfg s3.Config) *s3.Backend {
	t.Helper()
	be, err := s3.Create(context.Background(), cfg)
	if err != nil {
		t.Fatalf("s3.Create: %v", err)
	}
	return be
}

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := testserver.S3(t)
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newBackend(t, testConfig(t, "conformance"))
	}, storagetest.Options{
		ObjectCount:     1100,
		LargeObjectSize: 12 << 20,
		Secrets:         []string{srv.SecretKey},
	})
}

func BenchmarkUploadDownload(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Backend {
		return newBackend(b, benchConfig(b))
	})
}

// benchConfig uses the transfer manager's production part size and
// concurrency, so the numbers match what a backup sees.
func benchConfig(b *testing.B) s3.Config {
	cfg := testConfig(b, "bench")
	cfg.PartSize, cfg.MultipartThreshold, cfg.Concurrency = 0, 0, 0
	return cfg
}
