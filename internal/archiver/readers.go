package archiver

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/repo"
)

// readJob is a large file, open, for a file reader to cut into chunks.
type readJob struct {
	f     rawFile
	ff    *fileFuture
	fi    fs.FileInfo
	fixed int
}

// readError is a file that could not be read to its end. The tree saver
// applies OnError to it as the walker does to files it cannot open, and
// leaves the file out when OnError accepts.
type readError struct {
	path string
	err  error
}

func (e *readError) Error() string { return e.path + ": " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// fileReader reads large files handed over by the walker. Several run at
// once: cutting chunks is serial within a file, and one reader leaves a
// core idle on data the workers only hash and encrypt (it would be the
// whole pipeline's limit on incompressible data).
func (a *Archiver) fileReader(ctx context.Context) {
	var ch *chunker.Chunker
	for job := range a.readJobs {
		a.readFile(ctx, job, &ch)
	}
}

func (a *Archiver) readFile(ctx context.Context, job readJob, ch **chunker.Chunker) {
	defer job.f.close()
	n := job.ff.node
	read, err := a.readChunks(ctx, job.f, job.ff, job.fixed, ch)
	if err != nil {
		if ctx.Err() == nil {
			err = &readError{path: job.f.path, err: err}
		}
		job.ff.finish(-1, repo.ID{}, err)
		return
	}
	if read != n.Size {
		a.opts.Warn(job.f.path, fmt.Errorf("file changed size while being read: %d bytes expected, %d read", n.Size, read))
		n.Size = read
	} else if after, err := job.f.stat(); err == nil && !sameMtime(after, job.fi) {
		a.opts.Warn(job.f.path, errors.New("file changed while being read"))
	}
	job.ff.finish(-1, repo.ID{}, nil)
}
