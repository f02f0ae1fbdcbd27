package archiver

import (
	"context"
	"io/fs"

	"github.com/cofferhq/coffer/internal/repo"
)

// Small files (one chunk each) are read straight into a shared slot
// buffer, one after another, and handed to the workers as one job per
// batch: no chunker copy, and one channel hand-off per batch instead of
// per file, which with thousands of small files otherwise keeps the
// workers parking and waking.
//
// The walker holds at most one unsent batch. It sends it before anything
// that could wait for one of its files: a directory job that would block
// (the tree saver may be waiting for a file in the batch), a large file,
// and the end of the walk.

// smallBatch is the batch being filled.
type smallBatch struct {
	buf   []byte
	used  int
	parts []chunkPart
}

// saveSmallFile reads a file of at most one chunk into the batch. ok is
// false, with nothing queued, when the file no longer has the size or
// modification time that lstat reported; the caller then reads it as a
// changed file.
func (a *Archiver) saveSmallFile(ctx context.Context, f rawFile, n *repo.Node, fi fs.FileInfo) (ff *fileFuture, ok bool, err error) {
	size := int(n.Size)
	var dst []byte
	if size > 0 {
		if a.batch.buf != nil && a.batch.used+size > a.batchLimit() {
			if err := a.flushBatch(ctx); err != nil {
				return nil, false, err
			}
		}
		if a.batch.buf == nil {
			select {
			case a.batch.buf = <-a.slots:
			case <-ctx.Done():
				return nil, false, context.Cause(ctx)
			}
			if a.batch.buf == nil {
				a.batch.buf = make([]byte, a.repo.ChunkerParams().Max)
			}
		}
		// One byte more than expected, to see a file that grew.
		end := min(a.batch.used+size+1, len(a.batch.buf))
		dst = a.batch.buf[a.batch.used:end]
	}
	got, err := f.readFull(dst)
	if err != nil {
		return nil, false, err
	}
	if got != size {
		return nil, false, nil
	}
	st, err := f.stat()
	if err != nil {
		return nil, false, err
	}
	if st.Size != int64(size) || !sameMtime(st, fi) {
		return nil, false, nil
	}
	ff = newFileFuture(n)
	if size > 0 {
		a.batch.parts = append(a.batch.parts, chunkPart{file: ff, idx: ff.addChunk(), data: dst[:size:size]})
		a.batch.used += size
		a.cnt.bytesRead.Add(uint64(size))
	}
	ff.finish(-1, repo.ID{}, nil)
	return ff, true, nil
}

// batchLimit is how full a batch gets before it is sent: about one
// average chunk, so that batches spread over the workers like chunks of
// large files do.
func (a *Archiver) batchLimit() int { return a.repo.ChunkerParams().Avg }

// flushBatch sends the batch to the workers. When ctx is done its files
// fail with the cause instead.
func (a *Archiver) flushBatch(ctx context.Context) error {
	b := a.batch
	a.batch = smallBatch{}
	if b.buf == nil {
		return nil
	}
	if len(b.parts) == 0 {
		a.slots <- b.buf
		return nil
	}
	select {
	case a.chunks <- chunkJob{parts: b.parts, buf: b.buf}:
		return nil
	case <-ctx.Done():
		a.slots <- b.buf
		for _, p := range b.parts {
			p.file.finish(p.idx, repo.ID{}, context.Cause(ctx))
		}
		return context.Cause(ctx)
	}
}
