package sftp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/sftp"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

var dirSeq atomic.Int64

// testConfig logs in to the shared sshd with its user key, verifying its
// host key, in a directory no other test uses.
func testConfig(t testing.TB) sftp.Config {
	srv := testserver.SFTP(t)
	return sftp.Config{
		Host:           srv.Host,
		Port:           srv.Port,
		User:           srv.User,
		Path:           filepath.Join(srv.DataDir, fmt.Sprintf("%s-%d", filepath.Base(t.Name()), dirSeq.Add(1))),
		KeyFile:        srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile,
	}
}

func newBackend(t testing.TB, cfg sftp.Config) *sftp.Backend {
	t.Helper()
	be, err := sftp.Create(context.Background(), cfg)
	if err != nil {
		t.Fatalf("sftp.Create: %v", err)
	}
	return be
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return newBackend(t, testConfig(t))
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

func benchConfig(b *testing.B) sftp.Config { return testConfig(b) }
