package repo

import "time"

// KeySlotInfo describes one key slot for listing.
type KeySlotInfo struct {
	ID      string
	Kind    string
	Label   string
	Created time.Time
	// Current is true for the slot this Repository was opened with.
	Current bool
	// Err is set when the slot could not be read or failed authentication.
	Err error
}

// BlobLocation says where a blob is stored.
type BlobLocation struct {
	Type      BlobType
	PackID    ID
	Offset    int64 // of the encrypted blob within the pack
	Length    int   // encrypted length (nonce, ciphertext, tag)
	RawLength int   // plaintext length after decompression
}

// SaveResult tells what SaveBlob did.
type SaveResult struct {
	// Known is true when the blob was already stored (or saved earlier in
	// this session) and nothing was written.
	Known bool
	// Stored is the number of bytes the blob adds to storage including
	// encryption and pack overhead; 0 when Known.
	Stored int
}

// SnapshotEntry is one snapshot with its ID.
type SnapshotEntry struct {
	ID       ID
	Snapshot *Snapshot
}

// CheckOptions selects how deep Check reads.
type CheckOptions struct {
	// ReadData downloads every pack and verifies every blob.
	ReadData bool
	// Subset, when 0 < Subset <= 1 and ReadData is false, reads that
	// fraction of the packs (at least one), sampled at random.
	Subset float64
}

// Problem is one finding of Check.
type Problem struct {
	// Object is the storage name of the damaged or missing object.
	Object string
	// Blob is set when the problem concerns one blob.
	Blob *ID
	Err  error
	// Warning marks findings that are not damage, such as a pack left
	// without an index by an interrupted backup.
	Warning bool
}

func (p Problem) Error() string {
	prefix := "error"
	if p.Warning {
		prefix = "warning"
	}
	if p.Blob != nil {
		return prefix + ": " + p.Object + " (blob " + p.Blob.String() + "): " + p.Err.Error()
	}
	return prefix + ": " + p.Object + ": " + p.Err.Error()
}

// CheckStats counts what Check looked at.
type CheckStats struct {
	Packs, Blobs, Snapshots, Trees int
	BytesRead                      int64
	// Problems and Warnings count the reported findings.
	Problems, Warnings int
}
