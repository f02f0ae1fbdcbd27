package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// tokenPrefix starts every API token so it is recognisable in a leak.
const tokenPrefix = "cft1_"

// prefixLen is how much of a token the catalog keeps in clear to let users
// recognise it (the prefix plus 6 characters of the secret: 36 bits).
const prefixLen = len(tokenPrefix) + 6

// NewToken mints an API token and returns the plaintext (shown once), its
// hash (stored) and its recognisable prefix (stored).
func NewToken() (plain string, hash []byte, prefix string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, "", fmt.Errorf("mint token: %w", err)
	}
	plain = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain), plain[:prefixLen], nil
}

// HashToken is the catalog's lookup key for a presented token.
func HashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}
