package repo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/cofferhq/coffer/internal/storage"
)

// readWorkers is how many packs Check downloads at once.
const readWorkers = 2

// Check verifies the repository and calls report for every problem it
// finds; it does not stop at the first. It returns an error only when it
// cannot run (storage unreachable, context canceled).
//
// Always: config and key slot authenticity, every index and snapshot object,
// every tree reachable from a snapshot, presence in the index of every blob
// the trees reference, and the data/ listing against the index (missing
// packs, size mismatches; packs in no index are warnings). With ReadData or
// Subset it also downloads packs and authenticates their header and every
// blob, decompresses them and recomputes their IDs.
func (r *Repository) Check(ctx context.Context, opts CheckOptions, report func(Problem)) (CheckStats, error) {
	c := &checker{r: r, opts: opts, report: report}
	steps := []func(context.Context) error{
		c.checkConfig, c.checkKeys, c.checkIndex, c.checkPackList, c.checkSnapshots, c.readPacks,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return c.stats, fmt.Errorf("check: %w", err)
		}
	}
	return c.stats, nil
}

type checker struct {
	r      *Repository
	opts   CheckOptions
	report func(Problem)

	mu    sync.Mutex // guards stats and report calls
	stats CheckStats
}

func (c *checker) problem(p Problem) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Warning {
		c.stats.Warnings++
	} else {
		c.stats.Problems++
	}
	if c.report != nil {
		c.report(p)
	}
}

// problemFromErr names the object of a *CorruptionError when there is one.
func (c *checker) problemFromErr(object string, blob *ID, err error) {
	var ce *CorruptionError
	if errors.As(err, &ce) {
		object, err = ce.Object, ce.Err
		if ce.Blob != nil {
			blob = ce.Blob
		}
	}
	c.problem(Problem{Object: object, Blob: blob, Err: err})
}

func (c *checker) checkConfig(context.Context) error {
	if c.r.cfgErr != nil {
		c.problemFromErr(configName, nil, c.r.cfgErr)
	}
	return nil
}

func (c *checker) checkKeys(ctx context.Context) error {
	keys, err := c.r.ListKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Err != nil {
			c.problemFromErr(keySlotName(k.ID), nil, k.Err)
		}
	}
	return nil
}

func (c *checker) checkIndex(ctx context.Context) error {
	err := c.r.loadIndex(ctx, func(name string, err error) {
		c.problemFromErr(name, nil, err)
	})
	if err != nil {
		return err
	}
	c.stats.Blobs = c.r.idx.blobCount()
	return nil
}

// checkPackList compares the data/ listing with the index.
func (c *checker) checkPackList(ctx context.Context) error {
	stored := map[string]int64{}
	err := c.r.be.List(ctx, "data/", func(oi storage.ObjectInfo) error {
		stored[oi.Name] = oi.Size
		return nil
	})
	if err != nil {
		return fmt.Errorf("list data/: %w", err)
	}
	c.r.idx.mu.RLock()
	packs := append([]packInfo(nil), c.r.idx.packs...)
	c.r.idx.mu.RUnlock()
	c.stats.Packs = len(packs)
	indexed := make(map[string]bool, len(packs))
	for _, p := range packs {
		name := packName(p.ID)
		indexed[name] = true
		size, ok := stored[name]
		switch {
		case !ok:
			c.problem(Problem{Object: name, Err: errors.New("pack is missing from storage but the index lists it")})
		case size != p.Size:
			c.problem(Problem{Object: name, Err: fmt.Errorf("pack is %d bytes on storage, the index says %d", size, p.Size)})
		}
	}
	for name := range stored {
		if indexed[name] {
			continue
		}
		if !validPackName(name) {
			c.problem(Problem{Object: name, Warning: true, Err: errors.New("unexpected object under data/ (not a pack name)")})
			continue
		}
		c.problem(Problem{Object: name, Warning: true, Err: errors.New("unreferenced pack: in no index (left by an interrupted backup, or awaiting garbage collection)")})
	}
	return nil
}

func validPackName(name string) bool {
	rest, ok := strings.CutPrefix(name, "data/")
	if !ok || len(rest) != 2+1+64 || rest[2] != '/' {
		return false
	}
	id, err := ParseID(rest[3:])
	return err == nil && packName(id) == name
}

// checkSnapshots loads every snapshot and walks its trees.
func (c *checker) checkSnapshots(ctx context.Context) error {
	ids, err := listIDs(ctx, c.r.be, snapshotsPrefix, func(name string) {
		c.problem(Problem{Object: name, Warning: true, Err: errors.New("unexpected object under snapshots/ (not a snapshot name)")})
	})
	if err != nil {
		return err
	}
	visited := map[ID]bool{}
	for _, id := range ids {
		sn, err := c.r.LoadSnapshot(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.problemFromErr(snapshotName(id), nil, err)
			continue
		}
		c.stats.Snapshots++
		if err := c.walk(ctx, id, sn.Tree, visited); err != nil {
			return err
		}
	}
	return nil
}

// walk checks every tree reachable from root, each once per Check.
func (c *checker) walk(ctx context.Context, snap, root ID, visited map[ID]bool) error {
	type item struct {
		id   ID
		path string
	}
	stack := []item{{root, "/"}}
	object := snapshotName(snap)
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[it.id] {
			continue
		}
		visited[it.id] = true
		id := it.id
		if !c.r.idx.has(blobKey{TreeBlob, id}) {
			c.problem(Problem{Object: object, Blob: &id, Err: fmt.Errorf("tree of %s is not in the index", it.path)})
			continue
		}
		tree, err := c.r.LoadTree(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ce *CorruptionError
			if errors.As(err, &ce) {
				// Name the damaged pack, keep the path for the reader.
				c.problem(Problem{Object: ce.Object, Blob: &id, Err: fmt.Errorf("tree of %s in %s: %w", it.path, object, ce.Err)})
			} else {
				c.problem(Problem{Object: object, Blob: &id, Err: fmt.Errorf("tree of %s: %w", it.path, err)})
			}
			continue
		}
		c.stats.Trees++
		for _, n := range tree.Nodes {
			p := strings.TrimSuffix(it.path, "/") + "/" + string(n.Name)
			for _, blob := range n.Content {
				if !c.r.idx.has(blobKey{DataBlob, blob}) {
					b := blob
					c.problem(Problem{Object: object, Blob: &b, Err: fmt.Errorf("data blob of %s is not in the index", p)})
				}
			}
			if n.Subtree != nil {
				stack = append(stack, item{*n.Subtree, p})
			}
		}
	}
	return nil
}

// readPacks downloads the selected packs and verifies every byte.
func (c *checker) readPacks(ctx context.Context) error {
	packs := c.r.idx.packList()
	switch {
	case c.opts.ReadData:
	case c.opts.Subset > 0 && len(packs) > 0:
		n := min(len(packs), max(1, int(math.Ceil(c.opts.Subset*float64(len(packs))))))
		rand.Shuffle(len(packs), func(i, j int) { packs[i], packs[j] = packs[j], packs[i] })
		packs = packs[:n]
	default:
		return nil
	}
	return forEachParallel(ctx, packs, readWorkers, func(p packInfo) error {
		return c.readPack(ctx, p)
	})
}

func (c *checker) readPack(ctx context.Context, p packInfo) error {
	name := packName(p.ID)
	raw, err := readObject(ctx, c.r.be, name)
	if storage.IsNotExist(err) {
		return nil // reported by checkPackList
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.problem(Problem{Object: name, Err: err})
		return nil
	}
	c.mu.Lock()
	c.stats.BytesRead += int64(len(raw))
	c.mu.Unlock()
	for _, err := range verifyPack(c.r, p, raw) {
		c.problemFromErr(name, nil, err)
	}
	return nil
}

// verifyPack checks a downloaded pack against its index entry and returns
// every problem found, as *CorruptionErrors naming the pack.
func verifyPack(r *Repository, p packInfo, raw []byte) []error {
	name := packName(p.ID)
	var errs []error
	fail := func(blob *ID, err error) { errs = append(errs, &CorruptionError{Object: name, Blob: blob, Err: err}) }
	entries := p.Blobs // fall back to the index when the header is unreadable
	epoch := p.Epoch
	if hs, err := splitPackTrailer(raw); err != nil {
		fail(nil, err)
	} else if hdr, e, err := openPackHeader(r.keys, p.ID, raw[hs:len(raw)-packTrailerSize], hs); err != nil {
		fail(nil, err)
	} else {
		inHeader := make(map[packEntry]bool, len(hdr))
		for _, h := range hdr {
			inHeader[h] = true
		}
		for _, ie := range p.Blobs {
			if !inHeader[ie] {
				id := ie.ID
				fail(&id, errors.New("index entry does not match the pack header"))
			}
		}
		entries, epoch = hdr, e
	}
	for _, e := range entries {
		id := e.ID
		end := uint64(e.Offset) + uint64(e.Length)
		if end > uint64(len(raw)) {
			fail(&id, fmt.Errorf("blob at %d+%d lies beyond the %d-byte pack", e.Offset, e.Length, len(raw)))
			continue
		}
		sealed := append([]byte(nil), raw[e.Offset:end]...)
		if _, err := r.decodeBlob(epoch, p.ID, e.Type, e.ID, sealed, int(e.RawLength), nil); err != nil {
			fail(&id, fmt.Errorf("%s blob: %w", e.Type, err))
		}
	}
	return errs
}
