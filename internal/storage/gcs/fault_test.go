package gcs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/gcs"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestServerCrash(t *testing.T) {
	t.Parallel()
	srv := testserver.StartGCS(t)
	n := 0
	testserver.CheckServerCrash(t, srv, func(t *testing.T) storage.Backend {
		n++
		return newBackend(t, gcs.Config{
			Bucket:    "crash",
			Prefix:    fmt.Sprint(n),
			Endpoint:  srv.Endpoint,
			ProjectID: srv.ProjectID,
			ChunkSize: 1 << 20,
			// Give up on a dead server quickly; the retry wrapper takes over.
			ChunkRetryDeadline: time.Second,
		})
	})
}
