package archiver

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/fsmeta"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/ticker"
)

// Archiver backs up file-system paths into a repository. Use one per backup.
type Archiver struct {
	repo Repository
	opts Options
	excl *excluder
	cap  fsmeta.Capturer
	cnt  counters

	chunks   chan chunkJob
	readJobs chan readJob // large files for the file readers
	dirs     chan dirJob
	slots    chan []byte // free chunk buffers; bounds memory in flight

	chunker *chunker.Chunker // used only by the walking goroutine
	batch   smallBatch       // small files read but not yet queued; walker only
	rootDev *uint64          // device of the path being walked, for OneFileSystem
	start   time.Time
}

// New prepares an archiver.
func New(r Repository, opts Options) (*Archiver, error) {
	opts.setDefaults()
	ex, err := newExcluder(opts.Excludes, opts.ExcludeFunc)
	if err != nil {
		return nil, err
	}
	return &Archiver{repo: r, opts: opts, excl: ex}, nil
}

// Backup saves paths as a new snapshot. parent, when not nil, is an earlier
// snapshot whose unchanged files are reused without reading them.
func (a *Archiver) Backup(ctx context.Context, paths []string, parent *repo.Snapshot, parentID *repo.ID) (*Result, error) {
	start := a.opts.Now()
	a.start = start
	abs, err := cleanPaths(paths, len(a.opts.Streams) > 0)
	if err != nil {
		return nil, err
	}
	virtual, err := buildVirtual(abs, a.opts.Streams)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	stopProgress := a.startProgress(ctx, start)
	scanDone := make(chan struct{})
	go func() { defer close(scanDone); a.scan(ctx, abs) }()

	a.chunks = make(chan chunkJob, a.opts.Workers)
	a.dirs = make(chan dirJob, 256)
	a.slots = make(chan []byte, 2*a.opts.Workers+2)
	for range cap(a.slots) {
		a.slots <- nil // buffers are allocated lazily
	}
	var wg, readers sync.WaitGroup
	for range a.opts.Workers {
		wg.Go(func() { a.chunkWorker(ctx, cancel) })
	}
	a.readJobs = make(chan readJob)
	for range a.opts.Readers {
		readers.Go(func() { a.fileReader(ctx) })
	}
	saverDone := make(chan struct{})
	go func() { defer close(saverDone); a.treeSaver(ctx, cancel) }()

	var parentRoot *repo.Tree
	if parent != nil {
		if parentRoot, err = a.repo.LoadTree(ctx, parent.Tree); err != nil {
			err = fmt.Errorf("load parent snapshot tree: %w", err)
		}
	}
	var root *treeFuture
	if err == nil {
		root, err = a.saveVirtual(ctx, virtual, parentRoot)
	}
	if ferr := a.flushBatch(ctx); err == nil {
		err = ferr
	}
	close(a.readJobs)
	readers.Wait() // they queue chunks until the end of their files
	close(a.chunks)
	close(a.dirs)
	wg.Wait()
	<-saverDone
	var rootID repo.ID
	if err == nil {
		rootID, err = root.wait(ctx)
	}
	if cause := context.Cause(ctx); err == nil && cause != nil {
		err = cause
	} else if cause != nil && errors.Is(err, context.Canceled) {
		err = cause
	}
	if err != nil {
		stopProgress("failed")
		return nil, err
	}
	stopProgress("flush")
	if err := a.repo.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush repository: %w", err)
	}
	<-scanDone
	for _, s := range a.opts.Streams {
		abs = append(abs, path.Clean(s.Path))
	}
	sn := a.snapshotOf(abs, rootID, parentID, start)
	if a.opts.BeforeSnapshot != nil {
		if err := a.opts.BeforeSnapshot(ctx, sn); err != nil {
			return nil, err
		}
	}
	id, err := a.repo.SaveSnapshot(ctx, sn)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	a.report("done", start)
	return &Result{ID: id, Snapshot: sn, Errors: int(a.cnt.errors.Load())}, nil
}

func (a *Archiver) snapshotOf(paths []string, tree repo.ID, parentID *repo.ID, start time.Time) *repo.Snapshot {
	end := a.opts.Now()
	kind := a.opts.Kind
	if kind == "" {
		kind = "files"
	}
	return &repo.Snapshot{
		Time:     start,
		Tree:     tree,
		Parent:   parentID,
		Paths:    paths,
		Hostname: a.opts.Hostname,
		Username: a.opts.Username,
		Tags:     a.opts.Tags,
		Source:   a.opts.Source,
		Kind:     kind,
		Summary: &repo.Summary{
			Start:          start,
			End:            end,
			FilesNew:       a.cnt.filesNew.Load(),
			FilesChanged:   a.cnt.filesChanged.Load(),
			FilesUnchanged: a.cnt.filesSame.Load(),
			DirsTotal:      a.cnt.dirsDone.Load(),
			BytesRead:      a.cnt.bytesRead.Load(),
			BytesTotal:     a.cnt.bytesDone.Load(),
			BytesAdded:     a.cnt.bytesAdded.Load(),
			BytesStored:    a.cnt.bytesStored.Load(),
			BlobsNew:       a.cnt.blobsNew.Load(),
		},
	}
}

// startProgress reports progress every interval until the returned stop is
// called with the final phase.
func (a *Archiver) startProgress(ctx context.Context, start time.Time) func(phase string) {
	if a.opts.Progress == nil {
		return func(string) {}
	}
	stop := ticker.Start(ctx, a.opts.ProgressInterval, func() { a.report("backup", start) })
	return func(phase string) { stop(); a.report(phase, start) }
}

func (a *Archiver) report(phase string, start time.Time) {
	if a.opts.Progress != nil {
		a.opts.Progress(a.cnt.snapshot(phase, a.opts.Now().Sub(start)))
	}
}

// cleanPaths makes paths absolute; paths inside another given path are
// folded into it by buildVirtual.
func cleanPaths(paths []string, haveStreams bool) ([]string, error) {
	if len(paths) == 0 && !haveStreams {
		return nil, errors.New("no paths to back up")
	}
	var out []string
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		out = append(out, abs)
	}
	return out, nil
}
