package repo

import (
	"github.com/cofferhq/coffer/internal/crypto"
)

// blobAAD is the associated data of a blob: its type byte and 32-byte ID.
func blobAAD(t BlobType, id ID) []byte {
	aad := make([]byte, 0, 33)
	aad = append(aad, byte(t))
	return append(aad, id[:]...)
}

// sealedBlobLen is the stored size of a blob whose plaintext has n bytes.
func sealedBlobLen(n int) int { return n + crypto.Overhead }

// sealBlobInto encrypts plain into dst, which must be exactly
// sealedBlobLen(len(plain)) bytes, with a random nonce.
func sealBlobInto(a *crypto.AEAD, dst []byte, t BlobType, id ID, plain []byte) {
	copy(dst[crypto.NonceSize:], plain)
	inner := dst[crypto.NonceSize : crypto.NonceSize+len(plain)]
	a.Seal(dst[:0], inner, blobAAD(t, id))
}

// openBlob authenticates and decrypts a stored blob in place and returns
// its plaintext (compression flag and body).
func openBlob(a *crypto.AEAD, sealed []byte, t BlobType, id ID) ([]byte, error) {
	if len(sealed) < crypto.Overhead {
		return a.Open(nil, sealed, nil) // reports the short length
	}
	return a.Open(sealed[crypto.NonceSize:crypto.NonceSize], sealed, blobAAD(t, id))
}
