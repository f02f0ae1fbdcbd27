package repo

import (
	"context"
	"encoding/json"
	"time"
)

// KEK is a key-encryption key: it wraps the master key into a key slot and
// unwraps it again. Each implementation owns one slot Kind and the
// kind-specific fields of KeySlot it fills; new kinds (Vault Transit, cloud
// KMS) need no format change.
type KEK interface {
	// Kind names the slots this KEK creates and can open ("keyfile",
	// "passphrase").
	Kind() string
	// Wrap seals master into slot, filling its kind-specific fields. aad
	// ("coffer key slot " + slot ID) must be bound to the ciphertext.
	Wrap(ctx context.Context, slot *KeySlot, aad, master []byte) error
	// Unwrap returns the master key sealed in slot. When the slot was made
	// with a different key it returns an error wrapping ErrWrongKey; any
	// other error (a KMS that cannot be reached) aborts Open.
	Unwrap(ctx context.Context, slot *KeySlot, aad []byte) ([]byte, error)
}

// KeySlot is the stored form of keys/<slot id>: the master key wrapped by
// one KEK. Common fields first; KDF, Nonce, Wrapped and Params are filled by
// the KEK of the slot's Kind.
type KeySlot struct {
	Version int       `json:"version"`
	Kind    string    `json:"kind"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	// KDF holds passphrase stretching parameters (passphrase slots).
	KDF *KDFParams `json:"kdf,omitempty"`
	// Nonce and Wrapped are the AES-256-GCM nonce and ciphertext||tag of the
	// master key for locally wrapped kinds; remote kinds may store their
	// own ciphertext in Wrapped and leave Nonce empty.
	Nonce   []byte `json:"nonce,omitempty"`
	Wrapped []byte `json:"wrapped"`
	// Params holds any other kind-specific fields (a Vault mount and key
	// name, a KMS key ARN).
	Params json.RawMessage `json:"params,omitempty"`
	// MAC authenticates all other fields with a key derived from the master
	// key, so that Check can tell a damaged slot it cannot open.
	MAC []byte `json:"mac,omitempty"`
}

// KDFParams are argon2id parameters stored in a passphrase slot.
type KDFParams struct {
	Algorithm string `json:"algorithm"` // "argon2id"
	Memory    uint32 `json:"memory"`    // KiB
	Time      uint32 `json:"time"`      // passes
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt,omitempty"`
}

// DefaultKDFParams are used for new passphrase slots: argon2id with 64 MiB,
// 3 passes, 4 lanes (RFC 9106's second recommendation).
var DefaultKDFParams = KDFParams{Algorithm: "argon2id", Memory: 64 << 10, Time: 3, Threads: 4}
