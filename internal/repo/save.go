package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// maxBlobSize bounds one blob (chunks are at most 256 MiB; trees of huge
// directories can be larger but not this large).
const maxBlobSize = 1 << 30

var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

// SaveBlob stores data as a blob of type t with the given ID (which must be
// ChunkID(data)) unless the index or this session already has it.
//
// SaveBlob is safe for concurrent use: compression and encryption run in
// the caller's goroutine, full packs upload in the background (bounded, so
// SaveBlob blocks when uploads fall behind). ctx is used for those uploads
// too and must stay live until Flush returns. After an upload fails, every
// later SaveBlob and Flush returns that error.
func (r *Repository) SaveBlob(ctx context.Context, t BlobType, id ID, data []byte) (SaveResult, error) {
	if err := r.writable(); err != nil {
		return SaveResult{}, err
	}
	if t != DataBlob && t != TreeBlob {
		return SaveResult{}, fmt.Errorf("save blob %s: invalid blob type %d", id.Short(), t)
	}
	if len(data) > maxBlobSize {
		return SaveResult{}, fmt.Errorf("save blob %s: %d bytes exceeds the %d-byte blob limit", id.Short(), len(data), maxBlobSize)
	}
	k := blobKey{t, id}
	fresh, err := r.packer.claim(k)
	if err != nil || !fresh {
		return SaveResult{Known: err == nil}, err
	}
	sp := scratchPool.Get().(*[]byte)
	enc := encoderFor(r.opts.Compression)
	if t == TreeBlob {
		initZstd()
		enc = zstdEnc
	}
	frame, raw := compressFrame(enc, (*sp)[:0], data)
	flag, body := byte(flagZstd), frame
	if raw {
		flag, body = flagRaw, data
	}
	n := sealedBlobLen(1 + len(body))
	op, off, err := r.packer.reserve(ctx, k, n, len(data))
	if err != nil {
		scratchPool.Put(sp)
		r.packer.unclaim(k)
		return SaveResult{}, fmt.Errorf("save blob %s: %w", id.Short(), err)
	}
	sealBlobInto(op.aead, op.buf[off:off+n], t, id, flag, body)
	*sp = frame[:0]
	scratchPool.Put(sp)
	r.packer.written(ctx, op)
	entry := packEntry{Type: t, ID: id, Offset: uint32(off), Length: uint32(n), RawLength: uint32(len(data))}
	return SaveResult{Stored: n + headerEntrySize(entry)}, nil
}

// SaveTree stores t as a tree blob and returns its ID. The encoding is
// deterministic (JSON of Tree with nodes sorted by name), so identical
// directories deduplicate. t is not modified.
func (r *Repository) SaveTree(ctx context.Context, t *Tree) (ID, error) {
	data, err := encodeTree(t)
	if err != nil {
		return ID{}, err
	}
	id := r.ChunkID(data)
	if _, err := r.SaveBlob(ctx, TreeBlob, id, data); err != nil {
		return ID{}, err
	}
	return id, nil
}

// encodeTree returns the canonical encoding of t.
func encodeTree(t *Tree) ([]byte, error) {
	sorted := *t
	if !sort.SliceIsSorted(t.Nodes, func(i, j int) bool { return bytes.Compare(t.Nodes[i].Name, t.Nodes[j].Name) < 0 }) {
		sorted.Nodes = append([]Node(nil), t.Nodes...)
		sort.SliceStable(sorted.Nodes, func(i, j int) bool { return bytes.Compare(sorted.Nodes[i].Name, sorted.Nodes[j].Name) < 0 })
	}
	if sorted.Nodes == nil {
		sorted.Nodes = []Node{}
	}
	data, err := json.Marshal(&sorted)
	if err != nil {
		return nil, fmt.Errorf("encode tree: %w", err)
	}
	return data, nil
}

// Flush seals the open packs, waits until every pack is uploaded and
// writes index objects for them. Call it before SaveSnapshot.
func (r *Repository) Flush(ctx context.Context) error {
	if err := r.packer.flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// writeIndex stores one index object for packs.
func (r *Repository) writeIndex(ctx context.Context, packs []packInfo) error {
	id := randomID()
	obj := sealObject(r.keys.metadata, encodeIndexBody(packs), indexAAD(id))
	if err := saveObject(ctx, r.be, indexName(id), obj); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	r.idx.mu.Lock()
	r.idx.objects[id] = true
	r.idx.mu.Unlock()
	return nil
}

// ErrNotFlushed means SaveSnapshot was called with blobs not yet flushed.
var ErrNotFlushed = errors.New("blobs saved but not flushed; call Flush before SaveSnapshot")
