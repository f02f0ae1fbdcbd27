package s3_test

import (
	"fmt"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/s3"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestServerCrash(t *testing.T) {
	t.Parallel()
	srv := testserver.StartS3(t)
	n := 0
	testserver.CheckServerCrash(t, srv, func(t *testing.T) storage.Backend {
		n++
		return newBackend(t, s3.Config{
			Bucket:             "crash",
			Prefix:             fmt.Sprint(n),
			Endpoint:           srv.Endpoint,
			Region:             srv.Region,
			AccessKeyID:        srv.AccessKey,
			SecretAccessKey:    srv.SecretKey,
			PartSize:           5 << 20,
			MultipartThreshold: 5 << 20,
			Concurrency:        2,
		})
	})
}
