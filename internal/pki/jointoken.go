package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// joinTokenPrefix starts every join token, so a token pasted in the wrong
// place is recognisable (and secret scanners can find it).
const joinTokenPrefix = "cjt1"

// JoinToken is a parsed enrollment token: "cjt1.<secret>.<ca pin hex>".
// The secret authenticates the agent to the controller (the catalog keeps
// only its SHA-256, see Hash); the pin lets the agent authenticate the
// controller on first contact, before it has the CA certificate.
type JoinToken struct {
	Secret string
	CAPin  []byte
}

// NewJoinToken mints a token with a fresh 256-bit secret for the CA pin.
func NewJoinToken(caPin []byte) (JoinToken, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return JoinToken{}, fmt.Errorf("join token: %w", err)
	}
	return JoinToken{Secret: base64.RawURLEncoding.EncodeToString(b), CAPin: caPin}, nil
}

// String is the token as given to `coffer agent --join-token`. It is the
// secret itself: never log it.
func (t JoinToken) String() string {
	return joinTokenPrefix + "." + t.Secret + "." + hex.EncodeToString(t.CAPin)
}

// Hash is what the catalog stores for the token.
func (t JoinToken) Hash() []byte {
	sum := sha256.Sum256([]byte(t.Secret))
	return sum[:]
}

// ParseJoinToken parses a token made by JoinToken.String. Errors never
// include the token.
func ParseJoinToken(s string) (JoinToken, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 3 || parts[0] != joinTokenPrefix {
		return JoinToken{}, fmt.Errorf("join token: not of the form %s.<secret>.<ca pin>", joinTokenPrefix)
	}
	secret, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(secret) != 32 {
		return JoinToken{}, fmt.Errorf("join token: malformed secret")
	}
	pin, err := hex.DecodeString(parts[2])
	if err != nil || len(pin) != sha256.Size {
		return JoinToken{}, fmt.Errorf("join token: malformed CA pin (want %d hex bytes)", sha256.Size)
	}
	return JoinToken{Secret: parts[1], CAPin: pin}, nil
}
