package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/cofferhq/coffer/internal/crypto"
)

// indexEveryPacks is how many uploaded packs trigger an index object
// before Flush, so that an interrupted long backup keeps most of its work
// deduplicable.
const indexEveryPacks = 64

// openPack is a pack being filled. Writers reserve a byte range under the
// packer lock and then encrypt into it without the lock.
type openPack struct {
	t       BlobType
	id      ID
	epoch   uint32
	aead    *crypto.AEAD
	buf     []byte // fixed size; blobs fill buf[:size]
	size    int
	entries []packEntry
	writers int  // reserved ranges not yet written
	sealed  bool // no more reservations; upload when writers == 0
	// headerLen is the header section length, set by the upload.
	headerLen int
}

// packer assembles blobs into packs and uploads them. Memory is bounded by
// tokens: every pack in memory (open, sealed or uploading) holds one.
type packer struct {
	r *Repository

	mu          sync.Mutex
	cond        *sync.Cond
	open        [3]*openPack // by BlobType
	inflight    map[blobKey]struct{}
	outstanding int // packs holding a token
	pending     []packInfo
	err         error // first upload or index failure; sticky

	packSize int
	tokens   chan struct{} // capacity: uploaders + 2 (one open pack per type)
	uploads  chan struct{} // capacity: uploaders
	// free keeps standard pack buffers for reuse: a fixed free list rather
	// than a sync.Pool, which drops them at every GC and so makes the
	// process allocate (and the kernel count) fresh 16 MiB buffers over a
	// long backup.
	free chan []byte
}

// A pack's blobs, header and trailer are assembled in one buffer, so the
// upload is one contiguous, seekable reader that the storage retry wrapper
// can rewind. Reservations leave room for the header entries they add.
const (
	// headerEntryMax bounds one blob's encoded header entry.
	headerEntryMax = 33 + 3*binary.MaxVarintLen32
	// packOverhead bounds what a header section and trailer add besides
	// their entries: version, epoch, entry count, GCM nonce and tag, length.
	packOverhead = 64
)

// fits reports whether a blob of n sealed bytes fits in op with its header entry.
func (op *openPack) fits(n int) bool {
	return op.size+n+(len(op.entries)+1)*headerEntryMax+packOverhead <= len(op.buf)
}

// bufferFor is the buffer length a pack needs to hold one blob of n bytes.
func bufferFor(n int) int { return n + headerEntryMax + packOverhead }

func newPacker(r *Repository) *packer {
	p := &packer{r: r, inflight: map[blobKey]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.setOptions(r.opts)
	return p
}

// setOptions applies pack size and upload concurrency; only while idle.
func (p *packer) setOptions(o Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outstanding > 0 {
		return
	}
	p.packSize = min(o.PackSize, maxPackSize/2)
	p.tokens = make(chan struct{}, o.Uploaders+2)
	p.uploads = make(chan struct{}, o.Uploaders)
	p.free = make(chan []byte, o.Uploaders+2)
}

// claim marks k as being saved. It returns false when k is already stored
// or claimed, which is what deduplicates concurrent saves of one blob.
func (p *packer) claim(k blobKey) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return false, p.err
	}
	if _, ok := p.inflight[k]; ok || p.r.idx.has(k) {
		return false, nil
	}
	p.inflight[k] = struct{}{}
	return true, nil
}

func (p *packer) unclaim(k blobKey) {
	p.mu.Lock()
	delete(p.inflight, k)
	p.mu.Unlock()
}

func (p *packer) isInflight(k blobKey) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.inflight[k]
	return ok
}

// reserve returns a pack and an offset where n bytes of blob k may be
// written, sealing the open pack when n does not fit.
func (p *packer) reserve(ctx context.Context, k blobKey, n, raw int) (*openPack, int, error) {
	for {
		p.mu.Lock()
		if p.err != nil {
			p.mu.Unlock()
			return nil, 0, p.err
		}
		op := p.open[k.t]
		var full *openPack
		if op != nil && !op.fits(n) {
			if op.size > 0 {
				full, op = p.sealLocked(op), nil
			} else {
				// Nothing reserved yet: give the empty pack a buffer that fits.
				p.putBuf(op.buf)
				op.buf = make([]byte, bufferFor(n))
			}
		}
		if op != nil {
			off := op.size
			op.size += n
			op.writers++
			op.entries = append(op.entries, packEntry{
				Type: k.t, ID: k.id, Offset: uint32(off), Length: uint32(n), RawLength: uint32(raw),
			})
			p.mu.Unlock()
			return op, off, nil
		}
		p.mu.Unlock()
		if full != nil {
			p.dispatch(ctx, full)
		}
		np, err := p.newPack(ctx, k.t, n)
		if err != nil {
			return nil, 0, err
		}
		p.mu.Lock()
		if p.open[k.t] == nil && p.err == nil {
			p.open[k.t], np = np, nil
			p.outstanding++
		}
		p.mu.Unlock()
		if np != nil {
			p.release(np)
		}
	}
}

// newPack takes a token (waiting while too many packs are in memory) and
// a buffer.
func (p *packer) newPack(ctx context.Context, t BlobType, n int) (*openPack, error) {
	select {
	case p.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	id := randomID()
	a, err := p.r.keys.packAEAD(0, id)
	if err != nil {
		<-p.tokens
		return nil, err
	}
	var buf []byte
	if bufferFor(n) <= p.packSize {
		select {
		case buf = <-p.free:
		default:
			buf = make([]byte, p.packSize)
		}
	} else {
		buf = make([]byte, bufferFor(n))
	}
	return &openPack{t: t, id: id, aead: a, buf: buf}, nil
}

// release returns a pack's buffer and token.
func (p *packer) release(op *openPack) {
	p.putBuf(op.buf)
	op.buf = nil
	<-p.tokens
}

// putBuf keeps standard-size pack buffers for reuse.
func (p *packer) putBuf(b []byte) {
	if len(b) != p.packSize {
		return
	}
	select {
	case p.free <- b:
	default:
	}
}

// sealLocked stops reservations in op and returns it if it is ready to
// upload.
func (p *packer) sealLocked(op *openPack) *openPack {
	op.sealed = true
	if p.open[op.t] == op {
		p.open[op.t] = nil
	}
	if op.writers == 0 {
		return op
	}
	return nil
}

// written records that one reserved range of op has been filled.
func (p *packer) written(ctx context.Context, op *openPack) {
	p.mu.Lock()
	op.writers--
	ready := op.sealed && op.writers == 0
	p.mu.Unlock()
	if ready {
		p.dispatch(ctx, op)
	}
}

// dispatch uploads op in the background. The upload uses ctx: the caller's
// context must stay live until Flush returns.
func (p *packer) dispatch(ctx context.Context, op *openPack) {
	go p.upload(ctx, op)
}

func (p *packer) upload(ctx context.Context, op *openPack) {
	err := p.uploadPack(ctx, op)
	info := packInfo{ID: op.id, Epoch: op.epoch, Blobs: op.entries}
	var toIndex []packInfo
	p.mu.Lock()
	if err == nil {
		info.Size = int64(op.size + op.headerLen + packTrailerSize)
		p.r.idx.addPack(info)
		p.pending = append(p.pending, info)
		if len(p.pending) >= indexEveryPacks {
			toIndex, p.pending = p.pending, nil
		}
	} else if p.err == nil {
		p.err = err
	}
	for _, e := range op.entries {
		delete(p.inflight, blobKey{e.Type, e.ID})
	}
	p.mu.Unlock()
	p.release(op)
	if toIndex != nil {
		if err := p.r.writeIndex(ctx, toIndex); err != nil {
			p.mu.Lock()
			p.pending = append(p.pending, toIndex...)
			if p.err == nil {
				p.err = err
			}
			p.mu.Unlock()
		}
	}
	p.mu.Lock()
	p.outstanding--
	p.cond.Broadcast()
	p.mu.Unlock()
}

// uploadPack appends the header section and trailer and saves the pack.
func (p *packer) uploadPack(ctx context.Context, op *openPack) error {
	select {
	case p.uploads <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("upload pack %s: %w", op.id.Short(), ctx.Err())
	}
	defer func() { <-p.uploads }()
	sec := sealPackHeader(op.aead, op.id, op.epoch, encodePackHeader(op.entries))
	var trailer [packTrailerSize]byte
	binary.LittleEndian.PutUint32(trailer[:], uint32(len(sec)))
	op.headerLen = len(sec)
	// Header and trailer fit behind the blobs (see fits): one contiguous,
	// seekable reader, so a failed upload can be retried.
	data := append(append(op.buf[:op.size], sec...), trailer[:]...)
	if err := p.r.be.Save(ctx, packName(op.id), bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("upload pack %s: %w", packName(op.id), err)
	}
	return nil
}

// flush seals the open packs, waits for every upload and writes an index
// object for the packs not yet indexed.
func (p *packer) flush(ctx context.Context) error { return p.flushWith(ctx, true) }

func (p *packer) flushWith(ctx context.Context, writeIndex bool) error {
	p.mu.Lock()
	var ready []*openPack
	for _, op := range p.open {
		if op == nil {
			continue
		}
		if op.size == 0 {
			p.open[op.t] = nil
			p.outstanding--
			p.mu.Unlock()
			p.release(op)
			p.mu.Lock()
			continue
		}
		if r := p.sealLocked(op); r != nil {
			ready = append(ready, r)
		}
	}
	p.mu.Unlock()
	for _, op := range ready {
		p.dispatch(ctx, op)
	}
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	for p.outstanding > 0 && ctx.Err() == nil {
		p.cond.Wait()
	}
	err, toIndex := p.err, p.pending
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		p.pending = nil
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if len(toIndex) == 0 || !writeIndex {
		return nil
	}
	if err := p.r.writeIndex(ctx, toIndex); err != nil {
		p.mu.Lock()
		p.pending = append(toIndex, p.pending...)
		p.mu.Unlock()
		return err
	}
	return nil
}

// unflushed counts blobs saved but not yet uploaded and indexed.
func (p *packer) unflushed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.inflight) + len(p.pending)
	for _, op := range p.open {
		if op != nil {
			n += len(op.entries)
		}
	}
	return n
}

// flushPacksOnly uploads the open packs without writing an index: what a
// backup killed before Flush leaves behind (tests only).
func (p *packer) flushPacksOnly(ctx context.Context) error {
	p.mu.Lock()
	p.pending = p.pending[:0:0]
	p.mu.Unlock()
	err := p.flushWith(ctx, false)
	return err
}
