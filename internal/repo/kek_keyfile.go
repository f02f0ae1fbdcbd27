package repo

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cofferhq/coffer/internal/crypto"
)

// KindKeyFile is the slot kind of key-file KEKs.
const KindKeyFile = "keyfile"

const infoKeyFile = "coffer v1 key file"

// keyFileKEK wraps the master key with a key read from a local file.
type keyFileKEK struct {
	path string
	key  crypto.Key // HKDF of the file's 32 bytes
}

// NewKeyFileKEK reads the key file at path. The file holds 32 random bytes
// written as 64 hex characters and a newline (32 raw bytes are accepted
// too). If the file is missing and create is true, a new key is written with
// mode 0600 (never overwriting an existing file).
func NewKeyFileKEK(path string, create bool) (KEK, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	secret, err := parseKeyFile(raw)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return newKeyFileKEK(path, secret), nil
}

func createKeyFile(path string) (KEK, error) {
	secret := crypto.RandomKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(secret[:]) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return newKeyFileKEK(path, secret[:]), nil
}

func parseKeyFile(raw []byte) ([]byte, error) {
	if len(raw) == crypto.KeySize {
		return raw, nil
	}
	text := bytes.TrimSpace(raw)
	if len(text) != 2*crypto.KeySize {
		return nil, fmt.Errorf("want 64 hex characters (a 32-byte key), found %d bytes", len(raw))
	}
	secret := make([]byte, crypto.KeySize)
	if _, err := hex.Decode(secret, text); err != nil {
		return nil, errors.New("key file is not valid hex")
	}
	return secret, nil
}

// NewKeyFileKEKFromBytes returns a key-file KEK for a 32-byte secret held in
// memory (for keys fetched from elsewhere, and tests).
func NewKeyFileKEKFromBytes(secret []byte) (KEK, error) {
	if len(secret) != crypto.KeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", crypto.KeySize, len(secret))
	}
	return newKeyFileKEK("", secret), nil
}

func newKeyFileKEK(path string, secret []byte) *keyFileKEK {
	return &keyFileKEK{path: path, key: crypto.Derive(secret, nil, infoKeyFile)}
}

func (k *keyFileKEK) Kind() string { return KindKeyFile }

func (k *keyFileKEK) String() string   { return "keyfile(" + k.path + ")" }
func (k *keyFileKEK) GoString() string { return k.String() }

func (k *keyFileKEK) Wrap(_ context.Context, slot *KeySlot, aad, master []byte) error {
	sealed := crypto.NewAEAD(k.key).Seal(nil, master, aad)
	slot.Nonce, slot.Wrapped = sealed[:crypto.NonceSize], sealed[crypto.NonceSize:]
	return nil
}

func (k *keyFileKEK) Unwrap(_ context.Context, slot *KeySlot, aad []byte) ([]byte, error) {
	return unwrapLocal(k.key, slot, aad)
}

// unwrapLocal opens Nonce||Wrapped with key; any failure means this key
// does not open the slot.
func unwrapLocal(key crypto.Key, slot *KeySlot, aad []byte) ([]byte, error) {
	if len(slot.Nonce) != crypto.NonceSize {
		return nil, fmt.Errorf("%w: slot nonce has %d bytes, want %d", ErrWrongKey, len(slot.Nonce), crypto.NonceSize)
	}
	sealed := append(append([]byte(nil), slot.Nonce...), slot.Wrapped...)
	master, err := crypto.NewAEAD(key).Open(nil, sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongKey, err)
	}
	if len(master) != crypto.KeySize {
		return nil, fmt.Errorf("%w: unwrapped key has %d bytes", ErrWrongKey, len(master))
	}
	return master, nil
}
