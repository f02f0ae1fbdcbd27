package azure_test

import (
	"fmt"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/azure"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestServerCrash(t *testing.T) {
	t.Parallel()
	srv := testserver.StartAzure(t)
	n := 0
	testserver.CheckServerCrash(t, srv, func(t *testing.T) storage.Backend {
		n++
		return newBackend(t, azure.Config{
			Container:        "crash",
			Prefix:           fmt.Sprint(n),
			ConnectionString: srv.ConnectionString(),
			BlockSize:        1 << 20,
			Concurrency:      2,
		})
	})
}
