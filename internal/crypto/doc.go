// Package crypto holds Coffer's small set of cryptographic building blocks:
// HKDF-SHA256 sub-key derivation and AES-256-GCM sealing with a random
// 96-bit nonce prefixed to the ciphertext.
//
// Everything here is standard: crypto/aes, crypto/cipher and crypto/hkdf from
// the Go standard library. The package only fixes the encodings so that every
// object kind in the repository uses them the same way.
package crypto
