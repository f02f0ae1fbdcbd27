package sftp

import (
	"errors"
	"path"
	"strings"
	"time"
)

// Config says where the repository lives and how to log in.
type Config struct {
	Host string
	Port int // default 22
	User string
	// Path is the repository directory; a relative path, or one starting
	// with "~/", starts at the user's login directory.
	Path string

	// KeyFile is a private key (OpenSSH or PEM format), KeyPassphrase its
	// passphrase if it has one. Password enables password and
	// keyboard-interactive authentication. With neither, the default keys
	// ~/.ssh/id_ed25519, id_ecdsa and id_rsa are tried.
	KeyFile       string
	KeyPassphrase string
	Password      string

	// KnownHostsFile lists trusted host keys (default ~/.ssh/known_hosts).
	KnownHostsFile string
	// InsecureIgnoreHostKey accepts any host key. Only for tests and
	// throwaway hosts: it allows a man in the middle.
	InsecureIgnoreHostKey bool

	// Concurrency is the number of write or read requests in flight per
	// file (default 64).
	Concurrency int
	// Timeout bounds connecting and the SSH handshake (default 30s).
	Timeout time.Duration
	// DisableSync skips fsync@openssh.com before the rename, trading
	// durability on power loss for speed.
	DisableSync bool
}

func (c *Config) validate() error {
	switch {
	case c.Host == "":
		return errors.New("sftp: host is empty")
	case c.User == "":
		return errors.New("sftp: user is empty")
	case c.Port < 0 || c.Port > 65535:
		return errors.New("sftp: port out of range")
	}
	return nil
}

func (c *Config) withDefaults() {
	if c.Port == 0 {
		c.Port = 22
	}
	// "~/x", like a relative path, starts at the login directory.
	p := strings.TrimPrefix(strings.TrimPrefix(c.Path, "~"), "/~")
	if strings.HasPrefix(c.Path, "~") || strings.HasPrefix(c.Path, "/~") {
		p = strings.TrimPrefix(p, "/")
	}
	if p == "" {
		p = "."
	}
	c.Path = path.Clean(p)
	if c.Concurrency == 0 {
		c.Concurrency = 64
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
}
