package archiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/cofferhq/coffer/internal/repo"
)

// chunkJob carries one chunk from the reader to a worker.
type chunkJob struct {
	file *fileFuture
	idx  int
	data []byte
	buf  []byte // the slot buffer data lives in
}

// saveFile reads a file, cuts it into chunks and queues them for the
// workers. It returns once the file is read; the future completes when
// every chunk is saved.
func (a *Archiver) saveFile(ctx context.Context, path string, n *repo.Node, fi fs.FileInfo) (*fileFuture, error) {
	f, err := openNoATime(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ff := newFileFuture(n)
	var read uint64
	if a.chunker == nil {
		a.chunker = a.repo.NewChunker(f)
	} else {
		a.chunker.Reset(f) // keeps its read buffer across files
	}
	ch := a.chunker
	for {
		var buf []byte
		select {
		case buf = <-a.slots:
		case <-ctx.Done():
			ff.finish(-1, repo.ID{}, context.Cause(ctx))
			return nil, context.Cause(ctx)
		}
		if buf == nil {
			buf = make([]byte, a.repo.ChunkerParams().Max)
		}
		data, err := ch.Next(buf)
		if errors.Is(err, io.EOF) {
			a.slots <- buf
			break
		}
		if err != nil {
			a.slots <- buf
			ff.finish(-1, repo.ID{}, err)
			return nil, fmt.Errorf("read: %w", err)
		}
		read += uint64(len(data))
		a.cnt.bytesRead.Add(uint64(len(data)))
		job := chunkJob{file: ff, idx: ff.addChunk(), data: data, buf: buf}
		select {
		case a.chunks <- job:
		case <-ctx.Done():
			a.slots <- buf
			ff.finish(job.idx, repo.ID{}, context.Cause(ctx))
			ff.finish(-1, repo.ID{}, nil)
			return nil, context.Cause(ctx)
		}
	}
	if read != n.Size {
		a.opts.Warn(path, fmt.Errorf("file changed size while being read: %d bytes expected, %d read", n.Size, read))
		n.Size = read
	} else if after, err := f.Stat(); err == nil && !after.ModTime().Equal(fi.ModTime()) {
		a.opts.Warn(path, errors.New("file changed while being read"))
	}
	ff.finish(-1, repo.ID{}, nil)
	return ff, nil
}

// chunkWorker hashes and saves chunks until the queue closes.
func (a *Archiver) chunkWorker(ctx context.Context, fail context.CancelCauseFunc) {
	for job := range a.chunks {
		if err := context.Cause(ctx); err != nil {
			a.slots <- job.buf
			job.file.finish(job.idx, repo.ID{}, err)
			continue
		}
		id := a.repo.ChunkID(job.data)
		res, err := a.repo.SaveBlob(ctx, repo.DataBlob, id, job.data)
		if err != nil {
			err = fmt.Errorf("save chunk %s: %w", id.Short(), err)
			fail(err)
		} else if !res.Known {
			a.cnt.blobsNew.Add(1)
			a.cnt.bytesAdded.Add(uint64(len(job.data)))
			a.cnt.bytesStored.Add(uint64(res.Stored))
		}
		a.cnt.bytesDone.Add(uint64(len(job.data)))
		a.slots <- job.buf
		job.file.finish(job.idx, id, err)
	}
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
				return repo.ID{}, err
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

// openNoATime opens a file for reading without updating its access time
// where the kernel allows it (owner or CAP_FOWNER).
func openNoATime(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOATIME, 0)
	if err != nil && errors.Is(err, fs.ErrPermission) {
		f, err = os.Open(path)
	}
	return f, err
}
