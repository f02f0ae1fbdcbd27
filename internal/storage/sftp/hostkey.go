package sftp

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrUnknownHostKey is wrapped by the error for a server whose host key is
// not in known_hosts; ErrHostKeyMismatch by the one for a server whose key
// differs from the one recorded (a possible man in the middle).
var (
	ErrUnknownHostKey  = errors.New("sftp: unknown host key")
	ErrHostKeyMismatch = errors.New("sftp: HOST KEY MISMATCH")
)

// hostKeyCheck returns the callback that verifies the server's key and the
// host key algorithms to ask for (those known_hosts has, so a server with
// several keys presents the one we can verify).
func hostKeyCheck(cfg *Config, addr string) (ssh.HostKeyCallback, []string, error) {
	if cfg.InsecureIgnoreHostKey {
		return ssh.InsecureIgnoreHostKey(), nil, nil
	}
	file := cfg.KnownHostsFile
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, nil, fmt.Errorf("sftp: no known_hosts file given and no home directory: %w", err)
		}
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	known, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, fmt.Errorf("sftp: read known_hosts %s: %w (pass a known_hosts file or, for throwaway hosts only, allow unknown host keys)", file, err)
	}
	check := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := known(hostname, remote, key)
		var keyErr *knownhosts.KeyError
		if errors.As(err, &keyErr) {
			fp := ssh.FingerprintSHA256(key)
			if len(keyErr.Want) == 0 {
				return fmt.Errorf("%w: %s presented %s key %s, which is not in %s; verify it and add it (ssh-keyscan), or allow unknown host keys explicitly",
					ErrUnknownHostKey, hostname, key.Type(), fp, file)
			}
			return fmt.Errorf("%w: %s presented %s key %s, but %s:%d records a different key; someone may be intercepting the connection",
				ErrHostKeyMismatch, hostname, key.Type(), fp, keyErr.Want[0].Filename, keyErr.Want[0].Line)
		}
		return err
	}
	return check, knownAlgorithms(known, addr), nil
}

// knownAlgorithms asks the known_hosts callback about a key it cannot know;
// its KeyError lists every key recorded for addr.
func knownAlgorithms(known ssh.HostKeyCallback, addr string) []string {
	probe, _ := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	tcpAddr, _ := net.ResolveTCPAddr("tcp", addr)
	if tcpAddr == nil {
		tcpAddr = &net.TCPAddr{}
	}
	var keyErr *knownhosts.KeyError
	if !errors.As(known(addr, tcpAddr, probe), &keyErr) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		for _, a := range algorithmsFor(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}
