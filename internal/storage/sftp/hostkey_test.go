package sftp_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/sftp"
)

func TestUnknownHostKeyRefused(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(cfg.KnownHostsFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sftp.Create(t.Context(), cfg)
	if !errors.Is(err, sftp.ErrUnknownHostKey) || !storage.IsPermanent(err) {
		t.Fatalf("connecting to a host missing from known_hosts = %v, want a permanent ErrUnknownHostKey", err)
	}
	for _, want := range []string{"127.0.0.1", "SHA256:", cfg.KnownHostsFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	cfg.InsecureIgnoreHostKey = true
	be, err := sftp.Create(t.Context(), cfg)
	if err != nil {
		t.Fatalf("with InsecureIgnoreHostKey: %v", err)
	}
	be.Close()
}

func TestMissingKnownHostsFileRefused(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "absent")
	_, err := sftp.Create(t.Context(), cfg)
	if err == nil || !storage.IsPermanent(err) || !strings.Contains(err.Error(), "known_hosts") {
		t.Fatalf("missing known_hosts file = %v, want a permanent error naming it", err)
	}
}

func TestChangedHostKeyRefused(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	cfg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	line := fmt.Sprintf("[%s]:%d %s", cfg.Host, cfg.Port, ssh.MarshalAuthorizedKey(other))
	if err := os.WriteFile(cfg.KnownHostsFile, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = sftp.Create(t.Context(), cfg)
	if !errors.Is(err, sftp.ErrHostKeyMismatch) || !storage.IsPermanent(err) {
		t.Fatalf("connecting to a host whose key changed = %v, want a permanent ErrHostKeyMismatch", err)
	}
}

func TestWrongCredentialsArePermanent(t *testing.T) {
	t.Parallel()
	stranger := filepath.Join(t.TempDir(), "id_stranger")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stranger, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.KeyFile = stranger
	if _, err := sftp.Create(t.Context(), cfg); err == nil || !storage.IsPermanent(err) || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("login with a key the server does not accept = %v, want a permanent authentication error", err)
	}

	cfg = testConfig(t)
	cfg.KeyFile, cfg.Password = "", "not-the-password"
	_, err = sftp.Create(t.Context(), cfg)
	if err == nil || !storage.IsPermanent(err) {
		t.Errorf("login with a wrong password = %v, want a permanent error", err)
	}
	if err != nil && strings.Contains(err.Error(), "not-the-password") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestLocationHidesPassword(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Password = "s3cret-pass"
	be, err := sftp.Create(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Create with key and (unused) password: %v", err)
	}
	defer be.Close()
	if strings.Contains(be.Location(), "s3cret-pass") {
		t.Errorf("Location() = %q shows the password", be.Location())
	}
}
