package repo

import (
	"sync"
)

type blobKey struct {
	t  BlobType
	id ID
}

// packInfo is what the index knows about one pack.
type packInfo struct {
	ID    ID
	Epoch uint32
	Size  int64
	Blobs []packEntry
}

// blobLoc is a compact blob location: an index into index.packs.
type blobLoc struct {
	pack                  uint32
	offset, length, rawLn uint32
}

// index maps blobs to their packs. It is safe for concurrent use.
type index struct {
	mu      sync.RWMutex
	blobs   map[blobKey]blobLoc
	packs   []packInfo // Blobs nil here: the blob map holds them
	packIdx map[ID]uint32
	objects map[ID]bool // index objects already merged
}

func newIndex() *index {
	return &index{blobs: map[blobKey]blobLoc{}, packIdx: map[ID]uint32{}, objects: map[ID]bool{}}
}

// addPack records a pack and its blobs. A blob already known keeps its
// first location.
func (x *index) addPack(p packInfo) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.addPackLocked(p)
}

func (x *index) addPackLocked(p packInfo) {
	pi, ok := x.packIdx[p.ID]
	if !ok {
		pi = uint32(len(x.packs))
		x.packs = append(x.packs, packInfo{ID: p.ID, Epoch: p.Epoch, Size: p.Size})
		x.packIdx[p.ID] = pi
	}
	for _, e := range p.Blobs {
		k := blobKey{e.Type, e.ID}
		if _, dup := x.blobs[k]; dup {
			continue
		}
		x.blobs[k] = blobLoc{pack: pi, offset: e.Offset, length: e.Length, rawLn: e.RawLength}
	}
}

func (x *index) has(k blobKey) bool {
	x.mu.RLock()
	_, ok := x.blobs[k]
	x.mu.RUnlock()
	return ok
}

func (x *index) lookup(k blobKey) (BlobLocation, uint32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	l, ok := x.blobs[k]
	if !ok {
		return BlobLocation{}, 0, false
	}
	p := x.packs[l.pack]
	return BlobLocation{
		Type: k.t, PackID: p.ID, Offset: int64(l.offset),
		Length: int(l.length), RawLength: int(l.rawLn),
	}, p.Epoch, true
}

// packList returns a copy of the known packs, each with its blobs.
func (x *index) packList() []packInfo {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]packInfo, len(x.packs))
	copy(out, x.packs)
	for k, l := range x.blobs {
		p := &out[l.pack]
		p.Blobs = append(p.Blobs, packEntry{Type: k.t, ID: k.id, Offset: l.offset, Length: l.length, RawLength: l.rawLn})
	}
	return out
}

func (x *index) blobCount() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.blobs)
}

// merge adds the packs of one index object unless it was merged before.
func (x *index) merge(object ID, packs []packInfo) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.objects[object] {
		return
	}
	x.objects[object] = true
	for _, p := range packs {
		x.addPackLocked(p)
	}
}
