package sealer

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cofferhq/coffer/internal/crypto"
)

// Purposes bound to sealed values.
const (
	SourceSecrets      = "source-secrets"
	StorageCredentials = "storage-credentials"
)

// formatVersion is the first byte of every sealed value.
const formatVersion = 1

// Sealer seals and opens secret maps. Safe for concurrent use.
type Sealer struct {
	aead *crypto.AEAD
}

// New returns a Sealer for a 32-byte key.
func New(key crypto.Key) *Sealer { return &Sealer{aead: crypto.NewAEAD(key)} }

// LoadOrCreateKey reads the controller key file (64 hex characters), or
// creates it with mode 0600 when missing.
func LoadOrCreateKey(path string) (crypto.Key, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return crypto.Key{}, fmt.Errorf("read controller key: %w", err)
	}
	var k crypto.Key
	text := bytes.TrimSpace(raw)
	if len(text) != 2*crypto.KeySize {
		return k, fmt.Errorf("controller key %s: want 64 hex characters", path)
	}
	if _, err := hex.Decode(k[:], text); err != nil {
		return k, fmt.Errorf("controller key %s: not hex", path)
	}
	return k, nil
}

func createKey(path string) (crypto.Key, error) {
	k := crypto.RandomKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return k, fmt.Errorf("create controller key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(k[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return k, fmt.Errorf("write controller key: %w", err)
	}
	return k, nil
}

// Seal encrypts m for purpose. An empty map seals to nil.
func (s *Sealer) Seal(purpose string, m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", purpose, err)
	}
	return s.aead.Seal([]byte{formatVersion}, plain, aad(purpose)), nil
}

// Open decrypts a value sealed for purpose. nil opens to an empty map.
// Errors never contain the plaintext.
func (s *Sealer) Open(purpose string, sealed []byte) (map[string]string, error) {
	m := map[string]string{}
	if len(sealed) == 0 {
		return m, nil
	}
	if sealed[0] != formatVersion {
		return nil, fmt.Errorf("open %s: unknown format version %d", purpose, sealed[0])
	}
	plain, err := s.aead.Open(nil, sealed[1:], aad(purpose))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", purpose, err)
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, fmt.Errorf("open %s: malformed content", purpose)
	}
	return m, nil
}

func aad(purpose string) []byte { return []byte("coffer sealed " + purpose) }
