package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/repo"
)

// chunkJob carries chunks from the reader to a worker: one chunk of a
// large file, or a batch of small files, in one slot buffer.
type chunkJob struct {
	parts []chunkPart
	buf   []byte // the slot buffer the parts' data live in
}

// chunkPart is one chunk of a file.
type chunkPart struct {
	file *fileFuture
	idx  int
	data []byte
}

// saveFile reads a file, cuts it into chunks and queues them for the
// workers. It returns once the file is read; the future completes when
// every chunk is saved. Files of one chunk take the batched path (see
// saveSmallFile).
func (a *Archiver) saveFile(ctx context.Context, path string, n *repo.Node, fi fs.FileInfo) (*fileFuture, error) {
	fixed := 0
	if a.opts.FixedChunkSize != nil {
		fixed = min(a.opts.FixedChunkSize(path), a.repo.ChunkerParams().Max)
	}
	single := a.repo.ChunkerParams().Min // content-defined chunks never cut below Min
	if fixed > 0 {
		single = fixed
	}
	fd, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	f := rawFile{fd: fd, path: path}
	defer func() { f.close() }() // unless handed to a reader
	if n.Size <= uint64(single) {
		ff, ok, err := a.saveSmallFile(ctx, f, n, fi)
		if ok || err != nil {
			return ff, err
		}
		// The file changed since lstat: read it again, to its end.
		if _, err := syscall.Seek(fd, 0, io.SeekStart); err != nil {
			return nil, &fs.PathError{Op: "seek", Path: path, Err: err}
		}
	}
	if err := a.flushBatch(ctx); err != nil { // its workers start while this file is read
		return nil, err
	}
	ff := newFileFuture(n)
	job := readJob{f: f, ff: ff, fi: fi, fixed: fixed}
	f.fd = -1 // the reader closes it now
	select {
	case a.readJobs <- job:
		return ff, nil
	case <-ctx.Done():
		job.f.close()
		return nil, context.Cause(ctx)
	}
}

func sameMtime(st syscall.Stat_t, fi fs.FileInfo) bool {
	return st.Mtim.Nano() == fi.ModTime().UnixNano()
}

// readChunks cuts rd into chunks (content-defined, with *ch, created on
// first use and kept for its read buffer, or of exactly fixed bytes when
// fixed > 0) and queues them for the workers. The caller releases its own
// hold on ff.
func (a *Archiver) readChunks(ctx context.Context, rd io.Reader, ff *fileFuture, fixed int, ch **chunker.Chunker) (uint64, error) {
	var read uint64
	var cut *chunker.Chunker
	if fixed <= 0 {
		if *ch == nil {
			*ch = a.repo.NewChunker(rd)
		} else {
			(*ch).Reset(rd)
		}
		cut = *ch
	}
	for {
		var buf []byte
		select {
		case buf = <-a.slots:
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		if buf == nil {
			buf = make([]byte, a.repo.ChunkerParams().Max)
		}
		var data []byte
		var err error
		if cut != nil {
			data, err = cut.Next(buf)
		} else {
			data, err = readFixed(rd, buf[:fixed])
		}
		if errors.Is(err, io.EOF) {
			a.slots <- buf
			break
		}
		if err != nil {
			a.slots <- buf
			return 0, fmt.Errorf("read: %w", err)
		}
		read += uint64(len(data))
		a.cnt.bytesRead.Add(uint64(len(data)))
		part := chunkPart{file: ff, idx: ff.addChunk(), data: data}
		select {
		case a.chunks <- chunkJob{parts: []chunkPart{part}, buf: buf}:
		case <-ctx.Done():
			a.slots <- buf
			ff.finish(part.idx, repo.ID{}, context.Cause(ctx))
			return 0, context.Cause(ctx)
		}
	}
	return read, nil
}

// readFixed fills buf, returning a shorter final chunk and io.EOF only
// when nothing is left.
func readFixed(rd io.Reader, buf []byte) ([]byte, error) {
	n, err := io.ReadFull(rd, buf)
	switch {
	case n > 0 && (err == nil || errors.Is(err, io.ErrUnexpectedEOF)):
		return buf[:n], nil
	case n == 0 && (err == nil || errors.Is(err, io.EOF)):
		return nil, io.EOF
	}
	return nil, err
}

// chunkWorker hashes and saves chunks until the queue closes.
func (a *Archiver) chunkWorker(ctx context.Context, fail context.CancelCauseFunc) {
	for job := range a.chunks {
		for _, p := range job.parts {
			a.saveChunk(ctx, fail, p)
		}
		a.slots <- job.buf
	}
}

func (a *Archiver) saveChunk(ctx context.Context, fail context.CancelCauseFunc, p chunkPart) {
	if err := context.Cause(ctx); err != nil {
		p.file.finish(p.idx, repo.ID{}, err)
		return
	}
	id := a.repo.ChunkID(p.data)
	res, err := a.repo.SaveBlob(ctx, repo.DataBlob, id, p.data)
	if err != nil {
		err = fmt.Errorf("save chunk %s: %w", id.Short(), err)
		fail(err)
	} else if !res.Known {
		a.cnt.blobsNew.Add(1)
		a.cnt.bytesAdded.Add(uint64(len(p.data)))
		a.cnt.bytesStored.Add(uint64(res.Stored))
	}
	a.cnt.bytesDone.Add(uint64(len(p.data)))
	p.file.finish(p.idx, id, err)
}

// treeSaver assembles directories in the order they were submitted, which
// is post-order, so every subtree is saved before its parent needs it.
func (a *Archiver) treeSaver(ctx context.Context, fail context.CancelCauseFunc) {
	for job := range a.dirs {
		id, err := a.saveTree(ctx, job.entries)
		if err != nil {
			fail(err)
		}
		job.result.id, job.result.err = id, err
		close(job.result.done)
	}
}

func (a *Archiver) saveTree(ctx context.Context, entries []entry) (repo.ID, error) {
	if err := context.Cause(ctx); err != nil {
		return repo.ID{}, err
	}
	tree := repo.Tree{Nodes: make([]repo.Node, 0, len(entries))}
	for _, e := range entries {
		if e.file != nil {
			if err := e.file.wait(ctx); err != nil {
				var re *readError
				if !errors.As(err, &re) {
					return repo.ID{}, err
				}
				if err := a.skip(re.path, re.err); err != nil {
					return repo.ID{}, err
				}
				continue
			}
			a.cnt.filesDone.Add(1)
		}
		if e.sub != nil {
			id, err := e.sub.wait(ctx)
			if err != nil {
				return repo.ID{}, err
			}
			e.node.Subtree = &id
		}
		tree.Nodes = append(tree.Nodes, *e.node)
	}
	id, err := a.repo.SaveTree(ctx, &tree)
	if err != nil {
		return repo.ID{}, fmt.Errorf("save tree: %w", err)
	}
	a.cnt.dirsDone.Add(1)
	return id, nil
}
