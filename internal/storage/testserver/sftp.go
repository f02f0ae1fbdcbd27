package testserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SFTPServer is OpenSSH's sshd serving internal-sftp, with a throwaway host
// key and a user key that logs in as the current user.
type SFTPServer struct {
	Host           string // 127.0.0.1
	Port           int
	User           string
	KeyFile        string // private key accepted for User
	KnownHostsFile string // lists the server's host key
	HostKey        ssh.PublicKey
	// DataDir is a directory on the server that tests may use.
	DataDir string
	proc    *process
}

// SFTP returns the sshd shared by the tests of this binary.
func SFTP(t testing.TB) *SFTPServer {
	t.Helper()
	return startShared(t, "sftp", func(dir string) (*SFTPServer, func(), error) {
		s, err := newSFTP(dir)
		if err != nil {
			return nil, nil, err
		}
		return s, s.proc.stop, nil
	})
}

// StartSFTP starts an sshd owned by the test, stopped at cleanup.
func StartSFTP(t testing.TB) *SFTPServer {
	t.Helper()
	s, err := newSFTP(t.TempDir())
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(s.proc.stop)
	return s
}

func newSFTP(dir string) (*SFTPServer, error) {
	bin, err := findBinary("sshd", "/usr/sbin")
	if err != nil {
		return nil, err
	}
	// sshd refuses to start without its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, fmt.Errorf("sshd privilege separation dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	s := &SFTPServer{
		Host:           "127.0.0.1",
		Port:           port,
		User:           u.Username,
		KeyFile:        filepath.Join(dir, "id_ed25519"),
		KnownHostsFile: filepath.Join(dir, "known_hosts"),
		DataDir:        filepath.Join(dir, "data"),
	}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return nil, err
	}
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	hostPub, err := writeKey(hostKeyFile)
	if err != nil {
		return nil, err
	}
	userPub, err := writeKey(s.KeyFile)
	if err != nil {
		return nil, err
	}
	s.HostKey = hostPub
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(userPub), 0o600); err != nil {
		return nil, err
	}
	known := fmt.Sprintf("[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(hostPub))
	if err := os.WriteFile(s.KnownHostsFile, []byte(known), 0o600); err != nil {
		return nil, err
	}
	config := strings.Join([]string{
		"Port " + strconv.Itoa(port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyFile,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authorized,
		"StrictModes no",
		"PermitRootLogin prohibit-password",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"UseDNS no",
		"MaxStartups 100",
		"MaxSessions 100",
		"LogLevel ERROR",
		"Subsystem sftp internal-sftp",
		"",
	}, "\n")
	configFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
		return nil, err
	}
	s.proc = &process{name: "sshd", bin: bin, dir: dir, port: port, args: []string{"-D", "-e", "-f", configFile}}
	if err := s.proc.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// writeKey creates an ed25519 private key file in OpenSSH format.
func writeKey(file string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// Stop kills sshd and every session it forked.
func (s *SFTPServer) Stop() { s.proc.stop() }

// Restart starts a stopped server again on the same port and keys.
func (s *SFTPServer) Restart(t testing.TB) {
	t.Helper()
	if err := s.proc.start(); err != nil {
		t.Fatal(err)
	}
}
