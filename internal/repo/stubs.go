package repo

import (
	"context"
	"sync"

	"github.com/cofferhq/coffer/internal/storage"
)

type index struct{ mu sync.RWMutex }
type packer struct{}

func (p *packer) setOptions(Options) {}

// Init creates a repository on be, with one key slot for kek.
func Init(ctx context.Context, be storage.Backend, kek KEK, opts InitOptions) (*Repository, error) {
	return nil, errNotImplemented
}

// Open opens the repository on be with the first key slot kek unwraps.
func Open(ctx context.Context, be storage.Backend, kek KEK) (*Repository, error) {
	return nil, errNotImplemented
}

// AddKey adds a key slot for kek and returns its ID.
func (r *Repository) AddKey(ctx context.Context, kek KEK, label string) (string, error) {
	return "", errNotImplemented
}

// ListKeys lists the key slots.
func (r *Repository) ListKeys(ctx context.Context) ([]KeySlotInfo, error) {
	return nil, errNotImplemented
}

// RemoveKey removes a key slot; it refuses the slot in use and the last one.
func (r *Repository) RemoveKey(ctx context.Context, id string) error { return errNotImplemented }

// LoadIndex reads every index object.
func (r *Repository) LoadIndex(ctx context.Context) error { return errNotImplemented }

// HasBlob reports whether a blob is stored or saved in this session.
func (r *Repository) HasBlob(t BlobType, id ID) bool { return false }

// LookupBlob returns where a blob is stored.
func (r *Repository) LookupBlob(t BlobType, id ID) (BlobLocation, bool) {
	return BlobLocation{}, false
}

// SaveBlob stores a blob unless it is already known.
func (r *Repository) SaveBlob(ctx context.Context, t BlobType, id ID, data []byte) (SaveResult, error) {
	return SaveResult{}, errNotImplemented
}

// SaveTree encodes and stores a tree.
func (r *Repository) SaveTree(ctx context.Context, t *Tree) (ID, error) {
	return ID{}, errNotImplemented
}

// Flush uploads open packs and writes their index.
func (r *Repository) Flush(ctx context.Context) error { return errNotImplemented }

// SaveSnapshot writes a snapshot manifest.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *Snapshot) (ID, error) {
	return ID{}, errNotImplemented
}

// LoadBlob reads, authenticates and decompresses a blob.
func (r *Repository) LoadBlob(ctx context.Context, t BlobType, id ID, buf []byte) ([]byte, error) {
	return nil, errNotImplemented
}

// LoadTree loads and decodes a tree.
func (r *Repository) LoadTree(ctx context.Context, id ID) (*Tree, error) {
	return nil, errNotImplemented
}

// ListSnapshots lists snapshots sorted by time.
func (r *Repository) ListSnapshots(ctx context.Context) ([]SnapshotEntry, error) {
	return nil, errNotImplemented
}

// LoadSnapshot loads one snapshot.
func (r *Repository) LoadSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	return nil, errNotImplemented
}

// FindSnapshot resolves "latest", a full ID or a unique prefix.
func (r *Repository) FindSnapshot(ctx context.Context, ref string) (ID, *Snapshot, error) {
	return ID{}, nil, errNotImplemented
}

// Check verifies the repository and reports every problem.
func (r *Repository) Check(ctx context.Context, opts CheckOptions, report func(Problem)) (CheckStats, error) {
	return CheckStats{}, errNotImplemented
}
