package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
)

// AddKey wraps the master key for kek into a new key slot and returns the
// slot ID. Existing slots keep working; no data is rewritten.
func (r *Repository) AddKey(ctx context.Context, kek KEK, label string) (string, error) {
	return r.addKey(ctx, kek, label)
}

func (r *Repository) addKey(ctx context.Context, kek KEK, label string) (string, error) {
	return r.addKeyWithID(ctx, kek, label, randomID().String())
}

func (r *Repository) addKeyWithID(ctx context.Context, kek KEK, label, id string) (string, error) {
	slot := KeySlot{
		Version: keySlotVersion, Kind: kek.Kind(), Label: label,
		Created: r.opts.Clock().UTC().Truncate(1e9),
	}
	if err := kek.Wrap(ctx, &slot, keySlotAAD(id), r.keys.master[:]); err != nil {
		return "", fmt.Errorf("add key: wrap master key: %w", err)
	}
	if slot.Kind != kek.Kind() {
		return "", fmt.Errorf("add key: %s KEK changed the slot kind to %q", kek.Kind(), slot.Kind)
	}
	if err := saveObject(ctx, r.be, keySlotName(id), encodeKeySlot(id, slot, r.keys)); err != nil {
		return "", fmt.Errorf("add key: %w", err)
	}
	return id, nil
}

// ListKeys lists the key slots sorted by creation time. Slots that cannot
// be read or fail authentication are listed with Err set.
func (r *Repository) ListKeys(ctx context.Context) ([]KeySlotInfo, error) {
	var names []string
	err := r.be.List(ctx, keysPrefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out := make([]KeySlotInfo, 0, len(names))
	for _, name := range names {
		id := strings.TrimPrefix(name, keysPrefix)
		info := KeySlotInfo{ID: id, Current: id == r.slotID}
		slot, err := r.loadKeySlot(ctx, id)
		if slot != nil {
			info.Kind, info.Label, info.Created = slot.Kind, slot.Label, slot.Created
		}
		if err != nil {
			if !IsCorruption(err) {
				return nil, fmt.Errorf("list keys: %w", err)
			}
			info.Err = err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// loadKeySlot reads and authenticates one slot. A damaged slot yields a
// *CorruptionError and, when it still parses, the slot.
func (r *Repository) loadKeySlot(ctx context.Context, id string) (*KeySlot, error) {
	name := keySlotName(id)
	raw, err := readObject(ctx, r.be, name)
	if err != nil {
		return nil, fmt.Errorf("read key slot: %w", err)
	}
	slot, err := decodeKeySlot(raw)
	if err != nil {
		return nil, &CorruptionError{Object: name, Err: err}
	}
	if err := verifyKeySlot(id, raw, slot, r.keys); err != nil {
		return slot, &CorruptionError{Object: name, Err: err}
	}
	return slot, nil
}

// ErrKeyInUse means RemoveKey was asked to remove the slot this session
// opened the repository with, or the last slot.
var ErrKeyInUse = errors.New("key slot cannot be removed")

// RemoveKey deletes a key slot, given its ID or a unique prefix of at least
// 4 characters. It refuses the slot this Repository was opened with (open
// with another key first) and the last remaining slot.
func (r *Repository) RemoveKey(ctx context.Context, id string) error {
	keys, err := r.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	var match []string
	for _, k := range keys {
		if k.ID == id || (len(id) >= 4 && strings.HasPrefix(k.ID, id)) {
			match = append(match, k.ID)
		}
	}
	switch {
	case len(match) == 0:
		return fmt.Errorf("remove key %s: no such key slot: %w", id, storage.ErrNotExist)
	case len(match) > 1:
		return fmt.Errorf("remove key %s: prefix matches %d key slots (%s); give more characters", id, len(match), strings.Join(match, ", "))
	case match[0] == r.slotID:
		return fmt.Errorf("remove key %s: %w: it is the slot this session opened the repository with; open with another key to remove it", match[0], ErrKeyInUse)
	case len(keys) == 1:
		return fmt.Errorf("remove key %s: %w: it is the last key slot and the repository would become unreadable", match[0], ErrKeyInUse)
	}
	if err := r.be.Remove(ctx, keySlotName(match[0])); err != nil {
		return fmt.Errorf("remove key %s: %w", match[0], err)
	}
	return nil
}

// KeySlotID returns the ID of the slot this Repository was opened with.
func (r *Repository) KeySlotID() string { return r.slotID }
