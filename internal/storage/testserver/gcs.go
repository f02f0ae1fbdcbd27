package testserver

import (
	"path/filepath"
	"strconv"
	"testing"
)

// GCSServer is a fake-gcs-server with a filesystem backend.
type GCSServer struct {
	Endpoint  string // http://127.0.0.1:port, what STORAGE_EMULATOR_HOST would hold
	ProjectID string
	proc      *process
}

// GCS returns the fake-gcs-server shared by the tests of this binary.
func GCS(t testing.TB) *GCSServer {
	t.Helper()
	return startShared(t, "gcs", func(dir string) (*GCSServer, func(), error) {
		s, err := newGCS(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, s.proc.stop, nil
	})
}

// StartGCS starts a fake-gcs-server owned by the test, stopped at cleanup.
func StartGCS(t testing.TB) *GCSServer {
	t.Helper()
	s, err := newGCS(t.TempDir())
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.proc.stop)
	return s
}

func newGCS(dir string) (*GCSServer, error) {
	bin, err := findBinary("fake-gcs-server")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	hostPort := "127.0.0.1:" + strconv.Itoa(port)
	s := &GCSServer{Endpoint: "http://" + hostPort, ProjectID: "coffer-test"}
	s.proc = &process{name: "fake-gcs-server", bin: bin, dir: dir, port: port, args: []string{
		"-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
		"-backend", "filesystem", "-filesystem-root", filepath.Join(dir, "gcs"),
		"-public-host", hostPort, "-external-url", s.Endpoint,
		"-data", filepath.Join(dir, "seed"), "-log-level", "error",
	}}
	if err := s.proc.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop kills the server abruptly.
func (s *GCSServer) Stop() { s.proc.stop() }

// Restart starts a stopped server again on the same port and data.
func (s *GCSServer) Restart(t testing.TB) {
	t.Helper()
	if err := s.proc.start(); err != nil {
		t.Fatal(err)
	}
}
