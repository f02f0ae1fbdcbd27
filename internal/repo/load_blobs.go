package repo

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/cofferhq/coffer/internal/crypto"
)

// Run reads: LoadBlobs reads neighbouring blobs of a pack with one ranged
// read instead of one per blob. A run may step over gaps (blobs nobody
// asked for) up to maxRunGap bytes, which cost less to read than another
// request, and is at most maxRunBytes long so memory stays bounded; a
// single larger blob is read alone.
const (
	maxRunBytes = 2 << 20
	maxRunGap   = 256 << 10
	// maxKeptRunBuf keeps a buffer grown for one large blob (up to the
	// default maximum chunk) for the next run instead of allocating anew.
	maxKeptRunBuf = 4<<20 + 64<<10
	// zstdSlack is spare capacity past a blob's raw length so the zstd
	// decoder can use its fast copy loops up to the last block (it needs
	// one block plus its over-allocation free at the end of the output).
	zstdSlack = 128<<10 + 64
)

// BlobRef names one blob for LoadBlobs.
type BlobRef struct {
	Type BlobType
	ID   ID
}

var (
	runBufs    = sync.Pool{New: func() any { b := make([]byte, 0, maxRunBytes); return &b }}
	decodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}
)

// runBlob is one requested blob with where it is stored.
type runBlob struct {
	ref   int // index into the caller's refs
	loc   BlobLocation
	epoch uint32
}

// LoadBlobs loads many blobs with as few ranged reads as possible: the
// blobs are grouped by pack and read in runs of neighbouring blobs. fn is
// called once per ref with its index and the blob's authenticated,
// decompressed and hash-checked content, in storage order (not the order
// of refs); data is only valid during the call. A blob listed twice is
// read and checked once. The first damaged blob stops the load with a
// *CorruptionError naming its pack and ID; fn has then been called for
// some of the other blobs, never for a damaged one. Safe for concurrent
// use.
func (r *Repository) LoadBlobs(ctx context.Context, refs []BlobRef, fn func(i int, data []byte) error) error {
	blobs := make([]runBlob, len(refs))
	for i, ref := range refs {
		loc, epoch, ok := r.idx.lookup(blobKey{ref.Type, ref.ID})
		if !ok {
			return fmt.Errorf("load %s blob %s: %w", ref.Type, ref.ID, ErrBlobNotFound)
		}
		blobs[i] = runBlob{ref: i, loc: loc, epoch: epoch}
	}
	slices.SortFunc(blobs, func(a, b runBlob) int {
		if c := bytes.Compare(a.loc.PackID[:], b.loc.PackID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.loc.Offset, b.loc.Offset)
	})
	bp := runBufs.Get().(*[]byte)
	defer runBufs.Put(bp)
	dp := decodeBufs.Get().(*[]byte)
	defer decodeBufs.Put(dp)
	for len(blobs) > 0 {
		n := runLength(blobs)
		if err := r.loadRun(ctx, refs, blobs[:n], bp, dp, fn); err != nil {
			return err
		}
		blobs = blobs[n:]
	}
	return nil
}

// runLength returns how many of the sorted blobs form the next run.
func runLength(blobs []runBlob) int {
	first := blobs[0].loc
	end := first.Offset + int64(first.Length)
	n := 1
	for ; n < len(blobs); n++ {
		l := blobs[n].loc
		if l.PackID != first.PackID || l.Offset-end > maxRunGap {
			break
		}
		newEnd := max(end, l.Offset+int64(l.Length))
		if newEnd-first.Offset > maxRunBytes {
			break
		}
		end = newEnd
	}
	return n
}

// loadRun reads one run with a single ranged read and hands out its blobs.
func (r *Repository) loadRun(ctx context.Context, refs []BlobRef, run []runBlob, bp, dp *[]byte, fn func(int, []byte) error) error {
	start := run[0].loc.Offset
	var end int64
	for _, b := range run {
		end = max(end, b.loc.Offset+int64(b.loc.Length))
	}
	pack := run[0].loc.PackID
	name := packName(pack)
	buf, err := readRange(ctx, r.be, name, start, int(end-start), *bp)
	if err != nil {
		var ce *CorruptionError
		if errors.As(err, &ce) {
			id := refs[run[0].ref].ID
			ce.Blob = &id
			return ce
		}
		return fmt.Errorf("load blobs from %s: %w", name, err)
	}
	if cap(buf) <= maxKeptRunBuf {
		*bp = buf[:0]
	}
	var a *crypto.AEAD
	var aEpoch uint32
	for i := 0; i < len(run); {
		b := run[i]
		ref := refs[b.ref]
		// Blobs requested more than once are decrypted (in place) once.
		same := i + 1
		for same < len(run) && run[same].loc.Offset == b.loc.Offset {
			same++
		}
		if a == nil || aEpoch != b.epoch {
			if a, err = r.keys.packAEAD(b.epoch, pack); err != nil {
				return &CorruptionError{Object: name, Blob: &ref.ID, Err: err}
			}
			aEpoch = b.epoch
		}
		sealed := buf[b.loc.Offset-start : b.loc.Offset-start+int64(b.loc.Length)]
		data, err := r.openRunBlob(a, ref, sealed, b.loc.RawLength, dp)
		if err != nil {
			id := ref.ID
			return &CorruptionError{Object: name, Blob: &id, Err: err}
		}
		for _, d := range run[i:same] {
			if refs[d.ref] != ref {
				// Two IDs at one offset: the index contradicts itself.
				id := refs[d.ref].ID
				return &CorruptionError{Object: name, Blob: &id, Err: fmt.Errorf("indexed at the offset of blob %s", ref.ID.Short())}
			}
			if err := fn(d.ref, data); err != nil {
				return err
			}
		}
		i = same
	}
	return nil
}

// openRunBlob authenticates and decrypts a blob in place and returns its
// content: raw blobs without a copy (a slice of sealed), compressed ones
// decoded into *dp.
func (r *Repository) openRunBlob(a *crypto.AEAD, ref BlobRef, sealed []byte, rawLen int, dp *[]byte) ([]byte, error) {
	plain, err := openBlob(a, sealed, ref.Type, ref.ID)
	if err != nil {
		return nil, err
	}
	if len(plain) == 0 {
		return nil, errors.New("empty plaintext (no compression flag)")
	}
	var out []byte
	switch {
	case plain[0] == flagRaw:
		out = plain[1:]
		if len(out) != rawLen {
			return nil, fmt.Errorf("decoded %d bytes, index says %d", len(out), rawLen)
		}
	case plain[0] == flagZstd && rawLen <= maxBlobSize:
		if cap(*dp) < rawLen+zstdSlack {
			*dp = make([]byte, 0, rawLen+zstdSlack)
		}
		if out, err = decompressBlob(*dp, plain, rawLen, maxBlobSize); err != nil {
			return nil, err
		}
	default:
		if out, err = decompressBlob(nil, plain, rawLen, maxBlobSize); err != nil {
			return nil, err
		}
	}
	if got := r.keys.blobID(out); got != ref.ID {
		return nil, fmt.Errorf("content hashes to %s, not to its ID", got.Short())
	}
	return out, nil
}
