package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// KeySize is the size of every symmetric key: AES-256.
const KeySize = 32

// NonceSize and TagSize are the AES-GCM nonce and tag sizes; Overhead is what
// Seal adds to a plaintext.
const (
	NonceSize = 12
	TagSize   = 16
	Overhead  = NonceSize + TagSize
)

// Key is a 256-bit symmetric key. Its String method never shows the bytes.
type Key [KeySize]byte

// String hides the key material.
func (Key) String() string { return "crypto.Key(redacted)" }

// GoString hides the key material from %#v.
func (Key) GoString() string { return "crypto.Key(redacted)" }

// Derive returns HKDF-SHA256(ikm, salt, info) truncated to 32 bytes.
func Derive(ikm, salt []byte, info string) Key {
	raw, err := hkdf.Key(sha256.New, ikm, salt, info, KeySize)
	if err != nil {
		panic(fmt.Sprintf("crypto: hkdf: %v", err)) // only for oversized lengths
	}
	var k Key
	copy(k[:], raw)
	return k
}

// RandomKey returns 32 bytes from crypto/rand.
func RandomKey() Key {
	var k Key
	rand.Read(k[:])
	return k
}

// AEAD wraps AES-256-GCM. It is safe for concurrent use.
type AEAD struct{ gcm cipher.AEAD }

// NewAEAD returns an AES-256-GCM sealer for key.
func NewAEAD(key Key) *AEAD {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(fmt.Sprintf("crypto: aes: %v", err)) // key size is fixed
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(fmt.Sprintf("crypto: gcm: %v", err))
	}
	return &AEAD{gcm: gcm}
}

// Seal appends nonce || ciphertext || tag of plaintext to dst, with a fresh
// random nonce. plaintext may not overlap dst's spare capacity unless it
// starts exactly NonceSize bytes after len(dst) (in-place sealing).
func (a *AEAD) Seal(dst, plaintext, aad []byte) []byte {
	var nonce [NonceSize]byte
	rand.Read(nonce[:])
	return a.SealWithNonce(dst, nonce[:], plaintext, aad)
}

// SealWithNonce is Seal with a caller-chosen nonce. Only test vectors may use
// a fixed nonce; reusing a nonce under one key breaks GCM.
func (a *AEAD) SealWithNonce(dst, nonce, plaintext, aad []byte) []byte {
	dst = append(dst, nonce...)
	return a.gcm.Seal(dst, nonce, plaintext, aad)
}

// ErrAuth means a ciphertext failed authentication: it was modified, is
// truncated, or was sealed with another key or associated data.
var ErrAuth = errors.New("authentication failed (data modified, truncated, or wrong key)")

// Open authenticates and decrypts sealed (nonce || ciphertext || tag) and
// appends the plaintext to dst. To decrypt in place pass sealed[NonceSize:][:0]
// as dst.
func (a *AEAD) Open(dst, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte nonce and tag", ErrAuth, len(sealed), Overhead)
	}
	out, err := a.gcm.Open(dst, sealed[:NonceSize], sealed[NonceSize:], aad)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}

// RandomNonce fills nonce from crypto/rand and returns it.
func RandomNonce(nonce []byte) []byte {
	rand.Read(nonce)
	return nonce
}
