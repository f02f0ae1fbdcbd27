package sftp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// authMethods builds the login methods from the key file or password, or
// the user's default keys when neither is given.
func authMethods(cfg *Config) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	var signers []ssh.Signer
	if cfg.KeyFile != "" {
		s, err := loadKey(cfg.KeyFile, cfg.KeyPassphrase)
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if cfg.KeyFile == "" && cfg.Password == "" {
		home, _ := os.UserHomeDir()
		for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if s, err := loadKey(filepath.Join(home, ".ssh", name), ""); err == nil {
				signers = append(signers, s)
			}
		}
		if len(signers) == 0 {
			return nil, errors.New("sftp: no key file or password given and no default key in ~/.ssh")
		}
	}
	if len(signers) > 0 {
		methods = append(methods, ssh.PublicKeys(signers...))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		methods = append(methods, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	return methods, nil
}

func loadKey(file, passphrase string) (ssh.Signer, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sftp: read key file: %w", err)
	}
	var signer ssh.Signer
	if passphrase != "" {
		signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
	} else {
		signer, err = ssh.ParsePrivateKey(pem)
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("sftp: key file %s is encrypted and no passphrase was given", file)
	}
	if err != nil {
		// Parse errors do not echo key material.
		return nil, fmt.Errorf("sftp: parse key file %s: %w", file, err)
	}
	return signer, nil
}
