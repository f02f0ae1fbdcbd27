package repo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/cofferhq/coffer/internal/storage"
)

// Init creates a repository on be with one key slot for kek. It fails with
// ErrRepoExists when be already holds a config. The key slot is written
// before the config, so an interrupted Init leaves no half-made repository.
func Init(ctx context.Context, be storage.Backend, kek KEK, opts InitOptions) (*Repository, error) {
	_, err := be.Stat(ctx, configName)
	if err == nil {
		return nil, fmt.Errorf("init %s: %w", be.Location(), ErrRepoExists)
	}
	if !storage.IsNotExist(err) {
		return nil, fmt.Errorf("init: stat config: %w", err)
	}
	var leftover []string
	err = be.List(ctx, keysPrefix, func(oi storage.ObjectInfo) error {
		leftover = append(leftover, oi.Name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("init: list key slots: %w", err)
	}
	if len(leftover) > 0 {
		return nil, fmt.Errorf("init %s: %d key slot(s) exist but no config: an interrupted init or a damaged repository; inspect it, or remove keys/ to start over: %w",
			be.Location(), len(leftover), ErrRepoExists)
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	cfg, err := newConfig(opts, clock())
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if opts.KDF != nil {
		if pk, ok := kek.(*passphraseKEK); ok {
			kek = NewPassphraseKEKWithParams(pk.pass, *opts.KDF)
		}
	}
	r := newRepository(be, cfg, newKeySet(crypto.RandomKey()), Options{Clock: clock})
	label := opts.Label
	if label == "" {
		label = "initial key"
	}
	if r.slotID, err = r.addKey(ctx, kek, label); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if err := saveObject(ctx, be, configName, encodeConfig(cfg, r.keys)); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return r, nil
}

// Open opens the repository on be, trying kek on every key slot of its
// kind. It returns ErrRepoNotFound without a config, ErrUnsupportedVersion
// for a newer format and ErrWrongKey when no slot opens.
//
// A config that fails authentication does not stop Open: reading and Check
// still work (Check reports the config), but writing is refused.
func Open(ctx context.Context, be storage.Backend, kek KEK) (*Repository, error) {
	raw, err := readObject(ctx, be, configName)
	if storage.IsNotExist(err) {
		return nil, fmt.Errorf("open %s: %w", be.Location(), ErrRepoNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	cf, cfgErr := decodeConfig(raw)
	var ve *versionError
	if errors.As(cfgErr, &ve) {
		return nil, fmt.Errorf("open %s: %w", be.Location(), cfgErr)
	}
	// Prefer a slot whose master key authenticates the config: a slot left
	// by another repository (or an interrupted Init) must not win.
	keys, slotID, err := unlock(ctx, be, kek, func(k *keySet) bool {
		return cfgErr == nil && verifyConfig(raw, cf, k) == nil
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", be.Location(), err)
	}
	if cfgErr == nil {
		cfgErr = verifyConfig(raw, cf, keys)
	}
	if cfgErr != nil {
		cf.Config = fallbackConfig()
		cfgErr = &CorruptionError{Object: configName, Err: cfgErr}
	}
	r := newRepository(be, cf.Config, keys, Options{})
	r.cfgErr, r.slotID = cfgErr, slotID
	return r, nil
}

// fallbackConfig stands in for a damaged config so that reads still work.
func fallbackConfig() Config {
	c, _ := newConfig(InitOptions{}, time.Time{})
	c.ID = ID{}
	return c
}

// unlock finds a slot kek opens and returns its key set: the first one
// preferred accepts, else the first one that opens at all.
func unlock(ctx context.Context, be storage.Backend, kek KEK, preferred func(*keySet) bool) (*keySet, string, error) {
	var names []string
	err := be.List(ctx, keysPrefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list key slots: %w", err)
	}
	sort.Strings(names)
	var tried int
	var damaged []error
	var fallback *keySet
	var fallbackID string
	for _, name := range names {
		id := name[len(keysPrefix):]
		raw, err := readObject(ctx, be, name)
		if err != nil {
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			damaged = append(damaged, err)
			continue
		}
		slot, err := decodeKeySlot(raw)
		if err != nil {
			damaged = append(damaged, &CorruptionError{Object: name, Err: err})
			continue
		}
		if slot.Kind != kek.Kind() {
			continue
		}
		tried++
		master, err := kek.Unwrap(ctx, slot, keySlotAAD(id))
		if errors.Is(err, ErrWrongKey) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("key slot %s: %w", id, err)
		}
		var mk crypto.Key
		copy(mk[:], master)
		ks := newKeySet(mk)
		if preferred(ks) {
			return ks, id, nil
		}
		if fallback == nil {
			fallback, fallbackID = ks, id
		}
	}
	if fallback != nil {
		return fallback, fallbackID, nil
	}
	msg := fmt.Errorf("%w (tried %d %s slot(s))", ErrWrongKey, tried, kek.Kind())
	if len(damaged) > 0 {
		return nil, "", fmt.Errorf("%w; unreadable key slots: %w", msg, errors.Join(damaged...))
	}
	return nil, "", msg
}

func newRepository(be storage.Backend, cfg Config, keys *keySet, o Options) *Repository {
	r := &Repository{be: be, cfg: cfg, keys: keys, idx: newIndex()}
	r.chunker = chunker.Params{
		Min: cfg.Chunker.Min, Avg: cfg.Chunker.Avg, Max: cfg.Chunker.Max,
		Gear: chunker.NewGear(keys.chunker[:]),
	}
	r.opts = r.withDefaults(o)
	r.packer = newPacker(r)
	return r
}

// writable returns the reason writing is refused, if any.
func (r *Repository) writable() error {
	if r.cfgErr != nil {
		return fmt.Errorf("repository is read-only because its config is damaged: %w", r.cfgErr)
	}
	return nil
}
