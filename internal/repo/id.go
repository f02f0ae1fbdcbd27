package repo

import (
	"encoding/hex"
	"fmt"
)

// ID names a chunk, tree, pack, index or snapshot: 32 bytes, shown as hex.
// Chunk and tree IDs are a keyed hash of their plaintext; other IDs are random.
type ID [32]byte

// String returns the 64-character lower-case hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex characters, for humans.
func (id ID) Short() string { return id.String()[:8] }

// IsNull reports whether id is all zeros.
func (id ID) IsNull() bool { return id == ID{} }

// MarshalText implements encoding.TextMarshaler (hex).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (id *ID) UnmarshalText(b []byte) error {
	parsed, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ParseID parses the 64-character hex form.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("invalid ID %q: want 64 hex characters, got %d", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("invalid ID %q: %w", s, err)
	}
	return id, nil
}

// BlobType tells what a blob inside a pack holds.
type BlobType uint8

const (
	// DataBlob holds a chunk of file or stream content.
	DataBlob BlobType = 1
	// TreeBlob holds an encoded Tree (one directory).
	TreeBlob BlobType = 2
)

func (t BlobType) String() string {
	switch t {
	case DataBlob:
		return "data"
	case TreeBlob:
		return "tree"
	default:
		return fmt.Sprintf("blobtype(%d)", uint8(t))
	}
}
