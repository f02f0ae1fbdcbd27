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

// sealBlobInto encrypts the blob plaintext flag || body into dst, which
// must be exactly sealedBlobLen(1+len(body)) bytes, with a random nonce.
// The plaintext is assembled in dst and encrypted in place: body (the raw
// chunk or its zstd frame) is copied once.
func sealBlobInto(a *crypto.AEAD, dst []byte, t BlobType, id ID, flag byte, body []byte) {
	dst[crypto.NonceSize] = flag
	copy(dst[crypto.NonceSize+1:], body)
	inner := dst[crypto.NonceSize : crypto.NonceSize+1+len(body)]
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
