package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/cofferhq/coffer/internal/storage"
)

// loadWorkers is how many index or snapshot objects are read at once.
const loadWorkers = 8

// LoadIndex reads every index object not loaded yet. Call it before
// deduplicating or restoring. A damaged index object yields an error
// naming it (IsCorruption) after the others have been loaded.
func (r *Repository) LoadIndex(ctx context.Context) error {
	var mu sync.Mutex
	var errs []error
	err := r.loadIndex(ctx, func(name string, err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("load index: %w", errors.Join(errs...))
	}
	return nil
}

// loadIndex merges every index object, reporting damaged ones through bad
// and returning only errors that stop it from running.
func (r *Repository) loadIndex(ctx context.Context, bad func(name string, err error)) error {
	ids, err := listIDs(ctx, r.be, "index/", nil)
	if err != nil {
		return err
	}
	r.idx.mu.RLock()
	todo := ids[:0:0]
	for _, id := range ids {
		if !r.idx.objects[id] {
			todo = append(todo, id)
		}
	}
	r.idx.mu.RUnlock()
	return forEachParallel(ctx, todo, loadWorkers, func(id ID) error {
		packs, err := r.loadIndexObject(ctx, id)
		if err != nil {
			if IsCorruption(err) || storage.IsNotExist(err) {
				bad(indexName(id), err)
				return nil
			}
			return err
		}
		r.idx.merge(id, packs)
		return nil
	})
}

func (r *Repository) loadIndexObject(ctx context.Context, id ID) ([]packInfo, error) {
	name := indexName(id)
	raw, err := readObject(ctx, r.be, name)
	if err != nil {
		return nil, err
	}
	body, err := openObject(r.keys.metadata, raw, indexAAD(id))
	if err != nil {
		return nil, &CorruptionError{Object: name, Err: err}
	}
	packs, err := decodeIndexBody(body)
	if err != nil {
		return nil, &CorruptionError{Object: name, Err: err}
	}
	return packs, nil
}

// HasBlob reports whether a blob is in the index or was saved in this
// session (possibly not yet uploaded).
func (r *Repository) HasBlob(t BlobType, id ID) bool {
	k := blobKey{t, id}
	return r.idx.has(k) || r.packer.isInflight(k)
}

// LookupBlob returns where an uploaded blob is stored.
func (r *Repository) LookupBlob(t BlobType, id ID) (BlobLocation, bool) {
	loc, _, ok := r.idx.lookup(blobKey{t, id})
	return loc, ok
}

// LoadBlob reads one blob with a ranged read, authenticates and decompresses
// it and checks that its content hashes to id. The result is stored in buf
// when it is large enough. Damage yields a *CorruptionError naming the pack
// and the blob. Safe for concurrent use.
func (r *Repository) LoadBlob(ctx context.Context, t BlobType, id ID, buf []byte) ([]byte, error) {
	loc, epoch, ok := r.idx.lookup(blobKey{t, id})
	if !ok {
		return nil, fmt.Errorf("load %s blob %s: %w", t, id, ErrBlobNotFound)
	}
	name := packName(loc.PackID)
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	sealed, err := readRange(ctx, r.be, name, loc.Offset, loc.Length, *sp)
	if err != nil {
		var ce *CorruptionError
		if errors.As(err, &ce) {
			ce.Blob = &id
			return nil, ce
		}
		return nil, fmt.Errorf("load %s blob %s from %s: %w", t, id.Short(), name, err)
	}
	*sp = sealed[:0]
	out, err := r.decodeBlob(epoch, loc.PackID, t, id, sealed, loc.RawLength, buf)
	if err != nil {
		return nil, &CorruptionError{Object: name, Blob: &id, Err: err}
	}
	return out, nil
}

// decodeBlob authenticates, decrypts (in place), decompresses and hashes one
// stored blob.
func (r *Repository) decodeBlob(epoch uint32, pack ID, t BlobType, id ID, sealed []byte, rawLen int, buf []byte) ([]byte, error) {
	a, err := r.keys.packAEAD(epoch, pack)
	if err != nil {
		return nil, err
	}
	plain, err := openBlob(a, sealed, t, id)
	if err != nil {
		return nil, err
	}
	out, err := decompressBlob(buf, plain, rawLen, maxBlobSize)
	if err != nil {
		return nil, err
	}
	if got := r.keys.blobID(out); got != id {
		return nil, fmt.Errorf("content hashes to %s, not to its ID", got.Short())
	}
	return out, nil
}

// LoadTree loads and decodes a tree blob.
func (r *Repository) LoadTree(ctx context.Context, id ID) (*Tree, error) {
	data, err := r.LoadBlob(ctx, TreeBlob, id, nil)
	if err != nil {
		return nil, err
	}
	var t Tree
	if err := json.Unmarshal(data, &t); err != nil {
		loc, _ := r.LookupBlob(TreeBlob, id)
		return nil, &CorruptionError{Object: packName(loc.PackID), Blob: &id, Err: fmt.Errorf("decode tree: %w", err)}
	}
	return &t, nil
}

// forEachParallel calls fn for every item with up to workers goroutines and
// returns the first error.
func forEachParallel[T any](ctx context.Context, items []T, workers int, fn func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan T)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(workers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range ch {
				if err := fn(it); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The parent was canceled.
		return ctx.Err()
	}
	return first
}

// IndexedBlobs returns how many blobs the loaded index holds; each costs
// about a hundred bytes of memory.
func (r *Repository) IndexedBlobs() int { return r.idx.blobCount() }
