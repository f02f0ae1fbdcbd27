package sftp_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/sftp"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

func TestServerCrash(t *testing.T) {
	t.Parallel()
	srv := testserver.StartSFTP(t)
	n := 0
	testserver.CheckServerCrash(t, srv, func(t *testing.T) storage.Backend {
		n++
		return newBackend(t, sftp.Config{
			Host:           srv.Host,
			Port:           srv.Port,
			User:           srv.User,
			Path:           filepath.Join(srv.DataDir, fmt.Sprint(n)),
			KeyFile:        srv.KeyFile,
			KnownHostsFile: srv.KnownHostsFile,
		})
	})
}
