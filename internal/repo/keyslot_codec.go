package repo

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
)

const (
	keySlotVersion = 1
	keysPrefix     = "keys/"
)

func keySlotName(id string) string { return keysPrefix + id }

// keySlotAAD is the associated data for the wrapped master key.
func keySlotAAD(id string) []byte { return []byte("coffer key slot " + id) }

func encodeKeySlotJSON(s KeySlot) []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("encode key slot: %v", err))
	}
	return append(b, '\n')
}

// encodeKeySlot returns the canonical encoding with its MAC, which covers
// the slot ID and the canonical encoding without MAC.
func encodeKeySlot(id string, s KeySlot, keys *keySet) []byte {
	s.MAC = nil
	s.MAC = mac(keys.slotMAC, []byte(id), encodeKeySlotJSON(s))
	return encodeKeySlotJSON(s)
}

// decodeKeySlot parses a slot leniently enough to try unwrapping it.
func decodeKeySlot(raw []byte) (*KeySlot, error) {
	var s KeySlot
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if s.Version != keySlotVersion {
		return nil, fmt.Errorf("unsupported key slot version %d", s.Version)
	}
	if s.Kind == "" {
		return nil, errors.New("no kind")
	}
	return &s, nil
}

// verifyKeySlot checks canonical form and MAC, detecting any changed byte
// even in slots whose KEK we do not have.
func verifyKeySlot(id string, raw []byte, s *KeySlot, keys *keySet) error {
	if !bytes.Equal(raw, encodeKeySlotJSON(*s)) {
		return errors.New("not in canonical form (bytes were changed)")
	}
	unsigned := *s
	unsigned.MAC = nil
	if !hmac.Equal(s.MAC, mac(keys.slotMAC, []byte(id), encodeKeySlotJSON(unsigned))) {
		return errors.New("MAC mismatch (bytes were changed, or the slot belongs to another repository)")
	}
	return nil
}
