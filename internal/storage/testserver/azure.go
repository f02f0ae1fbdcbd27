package testserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Azurite's well-known development account (public, documented by Microsoft).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// AzureServer is an Azurite blob service.
type AzureServer struct {
	Endpoint    string // blob service URL: http://127.0.0.1:port/devstoreaccount1
	AccountName string
	AccountKey  string
	proc        *process
}

// ConnectionString returns a connection string for the server.
func (s *AzureServer) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		s.AccountName, s.AccountKey, s.Endpoint)
}

// Azure returns the Azurite shared by the tests of this binary.
func Azure(t testing.TB) *AzureServer {
	t.Helper()
	return startShared(t, "azure", func(dir string) (*AzureServer, func(), error) {
		s, err := newAzure(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, s.proc.stop, nil
	})
}

// StartAzure starts an Azurite owned by the test, stopped at cleanup.
func StartAzure(t testing.TB) *AzureServer {
	t.Helper()
	s, err := newAzure(t.TempDir())
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.proc.stop)
	return s
}

func newAzure(dir string) (*AzureServer, error) {
	var extra []string
	if p := os.Getenv("COFFER_NPM_PREFIX"); p != "" {
		extra = append(extra, filepath.Join(p, "bin"))
	}
	bin, err := findBinary("azurite-blob", extra...)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "azurite")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	s := &AzureServer{
		Endpoint:    "http://127.0.0.1:" + strconv.Itoa(port) + "/" + azuriteAccount,
		AccountName: azuriteAccount,
		AccountKey:  azuriteKey,
	}
	// Azurite keeps its metadata in memory and writes it out on exit or
	// every few seconds; a SIGKILL would lose containers just created.
	s.proc = &process{name: "azurite", bin: bin, dir: dir, port: port, stopSignal: syscall.SIGINT, args: []string{
		"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port),
		"--location", data, "--silent", "--skipApiVersionCheck", "--disableTelemetry",
	}}
	if err := s.proc.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Stop interrupts the server; it saves its metadata and exits, dropping
// requests in flight.
func (s *AzureServer) Stop() { s.proc.stop() }

// Restart starts a stopped server again on the same port and data.
func (s *AzureServer) Restart(t testing.TB) {
	t.Helper()
	if err := s.proc.start(); err != nil {
		t.Fatal(err)
	}
}
