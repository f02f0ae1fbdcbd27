package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cofferhq/coffer/internal/storage"
)

const snapshotsPrefix = "snapshots/"

func snapshotName(id ID) string { return snapshotsPrefix + id.String() }

func snapshotAAD(id ID) []byte { return []byte("snapshot " + id.String()) }

// SaveSnapshot writes sn under a new random ID: the commit point of a
// backup. It refuses to run while blobs saved in this session are not yet
// flushed (ErrNotFlushed), so a snapshot never references unindexed data.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *Snapshot) (ID, error) {
	if err := r.writable(); err != nil {
		return ID{}, err
	}
	if n := r.packer.unflushed(); n > 0 {
		return ID{}, fmt.Errorf("save snapshot: %d %w", n, ErrNotFlushed)
	}
	body, err := json.Marshal(sn)
	if err != nil {
		return ID{}, fmt.Errorf("save snapshot: encode: %w", err)
	}
	id := randomID()
	obj := sealObject(r.keys.metadata, body, snapshotAAD(id))
	if err := saveObject(ctx, r.be, snapshotName(id), obj); err != nil {
		return ID{}, fmt.Errorf("save snapshot: %w", err)
	}
	return id, nil
}

// LoadSnapshot reads and authenticates one snapshot.
func (r *Repository) LoadSnapshot(ctx context.Context, id ID) (*Snapshot, error) {
	name := snapshotName(id)
	raw, err := readObject(ctx, r.be, name)
	if err != nil {
		return nil, fmt.Errorf("load snapshot %s: %w", id.Short(), err)
	}
	sn, err := decodeSnapshot(r.keys, id, raw)
	if err != nil {
		return nil, &CorruptionError{Object: name, Err: err}
	}
	return sn, nil
}

func decodeSnapshot(keys *keySet, id ID, raw []byte) (*Snapshot, error) {
	body, err := openObject(keys.metadata, raw, snapshotAAD(id))
	if err != nil {
		return nil, err
	}
	var sn Snapshot
	if err := json.Unmarshal(body, &sn); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return &sn, nil
}

// ListSnapshots returns every snapshot sorted by time (then ID). If some
// cannot be read it returns the others together with an error naming each
// unreadable one (IsCorruption reports true for damaged ones).
func (r *Repository) ListSnapshots(ctx context.Context) ([]SnapshotEntry, error) {
	ids, err := listIDs(ctx, r.be, snapshotsPrefix, nil)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	var mu sync.Mutex
	var out []SnapshotEntry
	var errs []error
	err = forEachParallel(ctx, ids, loadWorkers, func(id ID) error {
		sn, err := r.LoadSnapshot(ctx, id)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
			return nil
		}
		out = append(out, SnapshotEntry{ID: id, Snapshot: sn})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	sortSnapshots(out)
	if len(errs) > 0 {
		return out, fmt.Errorf("list snapshots: %w", errors.Join(errs...))
	}
	return out, nil
}

func sortSnapshots(s []SnapshotEntry) {
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i].Snapshot.Time, s[j].Snapshot.Time
		if !a.Equal(b) {
			return a.Before(b)
		}
		// Byte order is hex order, without two hex strings per comparison.
		return bytes.Compare(s[i].ID[:], s[j].ID[:]) < 0
	})
}

// minPrefix is the shortest snapshot ID prefix FindSnapshot accepts.
const minPrefix = 4

// FindSnapshot resolves ref: "latest" (the newest snapshot by time), a full
// 64-character ID, or a unique hex prefix of at least 4 characters.
func (r *Repository) FindSnapshot(ctx context.Context, ref string) (ID, *Snapshot, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "latest" {
		list, err := r.ListSnapshots(ctx)
		if err != nil {
			return ID{}, nil, fmt.Errorf("find latest snapshot: %w", err)
		}
		if len(list) == 0 {
			return ID{}, nil, fmt.Errorf("find latest snapshot: %w: the repository has no snapshots", ErrSnapshotNotFound)
		}
		e := list[len(list)-1]
		return e.ID, e.Snapshot, nil
	}
	if len(ref) < minPrefix {
		return ID{}, nil, fmt.Errorf("snapshot %q: give \"latest\" or at least %d hex characters of an ID", ref, minPrefix)
	}
	ids, err := listIDs(ctx, r.be, snapshotsPrefix, nil)
	if err != nil {
		return ID{}, nil, fmt.Errorf("find snapshot: %w", err)
	}
	var match []ID
	for _, id := range ids {
		if strings.HasPrefix(id.String(), ref) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return ID{}, nil, fmt.Errorf("snapshot %q: %w", ref, ErrSnapshotNotFound)
	case 1:
		sn, err := r.LoadSnapshot(ctx, match[0])
		return match[0], sn, err
	}
	short := make([]string, 0, len(match))
	for _, id := range match {
		short = append(short, id.Short())
	}
	sort.Strings(short)
	return ID{}, nil, fmt.Errorf("snapshot %q matches %d snapshots (%s): %w; give more characters", ref, len(match), strings.Join(short, ", "), ErrAmbiguousSnapshot)
}

// RemoveSnapshot deletes a snapshot by removing its manifest, the commit
// point (docs/FORMAT.md): its data stays until garbage collection finds it
// unreferenced. Removing a snapshot that is already gone succeeds.
func (r *Repository) RemoveSnapshot(ctx context.Context, id ID) error {
	if err := r.be.Remove(ctx, snapshotName(id)); err != nil && !storage.IsNotExist(err) {
		return fmt.Errorf("remove snapshot %s: %w", id.Short(), err)
	}
	return nil
}
