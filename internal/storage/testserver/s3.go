package testserver

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// S3Server is a versitygw gateway with a posix backend, gateway-level
// versioning and therefore S3 Object Lock support.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:port
	Region    string
	AccessKey string
	SecretKey string
	proc      *process
}

// S3 returns the versitygw shared by the tests of this binary.
func S3(t testing.TB) *S3Server {
	t.Helper()
	return startShared(t, "s3", func(dir string) (*S3Server, func(), error) {
		s, err := newS3(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, s.proc.stop, nil
	})
}

// StartS3 starts a versitygw owned by the test, stopped at cleanup.
func StartS3(t testing.TB) *S3Server {
	t.Helper()
	s, err := newS3(t.TempDir())
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.proc.stop)
	return s
}

func newS3(dir string) (*S3Server, error) {
	bin, err := findBinary("versitygw")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	for _, d := range []string{data, versions} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	s := &S3Server{
		Endpoint:  "http://127.0.0.1:" + strconv.Itoa(port),
		Region:    "us-east-1",
		AccessKey: "coffertest",
		SecretKey: "coffertest-secret-key",
	}
	s.proc = &process{name: "versitygw", bin: bin, dir: dir, port: port, args: []string{
		"--port", "127.0.0.1:" + strconv.Itoa(port),
		"--access", s.AccessKey, "--secret", s.SecretKey,
		"--region", s.Region, "--quiet",
		"posix", "--versioning-dir", versions, data,
	}}
	if err := s.proc.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop kills the server abruptly.
func (s *S3Server) Stop() { s.proc.stop() }

// Restart starts a stopped server again on the same port and data.
func (s *S3Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.proc.start(); err != nil {
		t.Fatal(err)
	}
}
