package repo

import (
	"context"
	"fmt"

	"github.com/cofferhq/coffer/internal/crypto"
	"golang.org/x/crypto/argon2"
)

// KindPassphrase is the slot kind of passphrase KEKs.
const KindPassphrase = "passphrase"

// Bounds on KDF parameters read from a slot, so that a damaged or hostile
// slot cannot make Open allocate terabytes or spin forever.
const (
	maxKDFMemory = 4 << 20 // KiB = 4 GiB
	maxKDFTime   = 100
	minSaltLen   = 16
	maxSaltLen   = 64
)

type passphraseKEK struct {
	pass   []byte
	params KDFParams
}

// NewPassphraseKEK stretches passphrase with argon2id. New slots use
// DefaultKDFParams; existing slots use the parameters stored in them.
func NewPassphraseKEK(passphrase []byte) KEK {
	return NewPassphraseKEKWithParams(passphrase, DefaultKDFParams)
}

// NewPassphraseKEKWithParams is NewPassphraseKEK with explicit parameters
// for new slots (tests use cheap ones).
func NewPassphraseKEKWithParams(passphrase []byte, params KDFParams) KEK {
	params.Algorithm = "argon2id"
	return &passphraseKEK{pass: append([]byte(nil), passphrase...), params: params}
}

func (k *passphraseKEK) Kind() string     { return KindPassphrase }
func (k *passphraseKEK) String() string   { return "passphrase(redacted)" }
func (k *passphraseKEK) GoString() string { return k.String() }

func (k *passphraseKEK) Wrap(_ context.Context, slot *KeySlot, aad, master []byte) error {
	p := k.params
	p.Salt = randomBytes(16)
	if err := p.validate(); err != nil {
		return err
	}
	sealed := crypto.NewAEAD(p.derive(k.pass)).Seal(nil, master, aad)
	slot.KDF = &p
	slot.Nonce, slot.Wrapped = sealed[:crypto.NonceSize], sealed[crypto.NonceSize:]
	return nil
}

func (k *passphraseKEK) Unwrap(_ context.Context, slot *KeySlot, aad []byte) ([]byte, error) {
	if slot.KDF == nil {
		return nil, fmt.Errorf("%w: passphrase slot has no KDF parameters", ErrWrongKey)
	}
	if err := slot.KDF.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWrongKey, err)
	}
	return unwrapLocal(slot.KDF.derive(k.pass), slot, aad)
}

func (p KDFParams) validate() error {
	switch {
	case p.Algorithm != "argon2id":
		return fmt.Errorf("unknown KDF %q", p.Algorithm)
	case p.Threads == 0:
		return fmt.Errorf("KDF threads must be at least 1")
	case p.Time == 0 || p.Time > maxKDFTime:
		return fmt.Errorf("KDF time %d out of range 1..%d", p.Time, maxKDFTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxKDFMemory:
		return fmt.Errorf("KDF memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Threads), maxKDFMemory)
	case len(p.Salt) < minSaltLen || len(p.Salt) > maxSaltLen:
		return fmt.Errorf("KDF salt has %d bytes, want %d..%d", len(p.Salt), minSaltLen, maxSaltLen)
	}
	return nil
}

func (p KDFParams) derive(pass []byte) crypto.Key {
	var k crypto.Key
	copy(k[:], argon2.IDKey(pass, p.Salt, p.Time, p.Memory, p.Threads, crypto.KeySize))
	return k
}
