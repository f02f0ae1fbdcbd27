package restorer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cofferhq/coffer/internal/fsmeta"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/ticker"
)

// Repository is what the restorer needs from a repository.
type Repository interface {
	LoadTree(ctx context.Context, id repo.ID) (*repo.Tree, error)
	LoadBlobs(ctx context.Context, refs []repo.BlobRef, fn func(i int, data []byte) error) error
	LookupBlob(t repo.BlobType, id repo.ID) (repo.BlobLocation, bool)
}

// Options configure a restore.
type Options struct {
	// Workers fetch and write chunks; default 2 × CPUs (they wait on I/O).
	Workers int
	// Include limits the restore to these snapshot paths (e.g. "/srv/data/a.txt")
	// and everything below them. Empty restores everything.
	Include []string
	// Overwrite replaces existing files; without it an existing file is an error.
	Overwrite bool
	// Sync makes the restore durable before Restore returns: every file
	// is fsynced once complete (writeback of each written range starts
	// right away, so the disk works while chunks are decoded and the
	// fsync finds little left), every directory once its entries and
	// metadata are in place. Only what the restore wrote is flushed.
	Sync bool
	// SkipOwner leaves ownership alone; it defaults to true when not root.
	SkipOwner *bool
	// Progress is called about once per ProgressInterval and at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	Now              func() time.Time
}

// Progress is a point-in-time view of a running restore.
type Progress struct {
	Phase        string // "restore", "metadata", "done"
	Elapsed      time.Duration
	FilesDone    uint64
	BytesWritten uint64
	FilesTotal   uint64
	BytesTotal   uint64
	WalkDone     bool
	Rate         float64
	ETA          time.Duration
}

// Restorer restores one snapshot. Use one per restore.
type Restorer struct {
	repo  Repository
	opts  Options
	apply fsmeta.Applier

	jobs    chan *batch
	batch   *batch // being filled by the walker
	links   []hardLink
	dirs    []dirMeta
	inodes  map[inodeKey]string
	pending sync.Map // tmp path → struct{}: files not yet renamed into place

	filesDone, bytesWritten, filesTotal, bytesTotal atomic.Uint64
	walkDone                                        atomic.Bool
}

type inodeKey struct{ dev, ino uint64 }

type hardLink struct{ target, path string }

type dirMeta struct {
	path string
	node repo.Node
}

// New prepares a restorer.
func New(r Repository, opts Options) *Restorer {
	if opts.Workers <= 0 {
		opts.Workers = 2 * runtime.NumCPU()
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	skipOwner := os.Geteuid() != 0
	if opts.SkipOwner != nil {
		skipOwner = *opts.SkipOwner
	}
	return &Restorer{
		repo:   r,
		opts:   opts,
		apply:  fsmeta.Applier{SkipOwner: skipOwner},
		inodes: map[inodeKey]string{},
	}
}

// Restore writes the snapshot's tree below target and returns the final
// progress figures.
func (r *Restorer) Restore(ctx context.Context, sn *repo.Snapshot, target string) (Progress, error) {
	start := r.opts.Now()
	if err := os.MkdirAll(target, 0o700); err != nil {
		return Progress{}, fmt.Errorf("create restore target: %w", err)
	}
	cleaned := make([]string, len(r.opts.Include))
	for i, inc := range r.opts.Include {
		if !strings.HasPrefix(inc, "/") {
			return Progress{}, fmt.Errorf("include path %q: must be absolute, as listed in the snapshot", inc)
		}
		cleaned[i] = filepath.Clean(inc) // once, not per node
	}
	if len(cleaned) > 0 {
		r.opts.Include = cleaned
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := r.startProgress(ctx, start)

	r.jobs = make(chan *batch, r.opts.Workers)
	var wg sync.WaitGroup
	for range r.opts.Workers {
		wg.Go(func() { r.worker(ctx, cancel) })
	}
	err := r.walk(ctx, sn.Tree, "/", target)
	if err == nil {
		err = r.flush(ctx)
	}
	r.walkDone.Store(true)
	close(r.jobs)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = cause
	}
	if err == nil {
		stop("metadata")
		err = r.finish(target)
	}
	if err != nil {
		r.cleanup()
		stop("failed")
		return r.progress("failed", start), err
	}
	stop("done")
	return r.progress("done", start), nil
}

// finish creates hard links and applies directory metadata, deepest first,
// and with Sync flushes the directories (target last).
func (r *Restorer) finish(target string) error {
	for _, l := range r.links {
		if r.opts.Overwrite {
			_ = os.Remove(l.path)
		}
		if err := os.Link(l.target, l.path); err != nil {
			return fmt.Errorf("restore hard link: %w", err)
		}
	}
	for i := len(r.dirs) - 1; i >= 0; i-- {
		d := r.dirs[i]
		if err := r.apply.Apply(d.path, &d.node); err != nil {
			return err
		}
	}
	if !r.opts.Sync {
		return nil
	}
	for i := len(r.dirs) - 1; i >= 0; i-- {
		if err := SyncPath(r.dirs[i].path); err != nil {
			return err
		}
	}
	return SyncPath(target)
}

// cleanup removes temporary files of a failed restore.
func (r *Restorer) cleanup() {
	r.pending.Range(func(k, _ any) bool {
		_ = os.Remove(k.(string))
		return true
	})
}

// included reports whether a snapshot path is wanted (inside an include) and
// whether it leads to one (an ancestor of an include).
func (r *Restorer) included(p string) (inside, ancestor bool) {
	if len(r.opts.Include) == 0 {
		return true, false
	}
	for _, inc := range r.opts.Include {
		if p == inc || strings.HasPrefix(p, inc+"/") || inc == "/" {
			return true, false
		}
		if p == "/" || strings.HasPrefix(inc, p+"/") {
			ancestor = true
		}
	}
	return false, ancestor
}

func (r *Restorer) startProgress(ctx context.Context, start time.Time) func(string) {
	if r.opts.Progress == nil {
		return func(string) {}
	}
	stop := ticker.Start(ctx, r.opts.ProgressInterval, func() { r.report("restore", start) })
	return func(phase string) { stop(); r.report(phase, start) }
}

func (r *Restorer) report(phase string, start time.Time) {
	if r.opts.Progress != nil {
		r.opts.Progress(r.progress(phase, start))
	}
}

func (r *Restorer) progress(phase string, start time.Time) Progress {
	p := Progress{
		Phase:        phase,
		Elapsed:      r.opts.Now().Sub(start),
		FilesDone:    r.filesDone.Load(),
		BytesWritten: r.bytesWritten.Load(),
		FilesTotal:   r.filesTotal.Load(),
		BytesTotal:   r.bytesTotal.Load(),
		WalkDone:     r.walkDone.Load(),
	}
	if s := p.Elapsed.Seconds(); s > 0 {
		p.Rate = float64(p.BytesWritten) / s
	}
	if p.WalkDone && p.Rate > 0 && p.BytesTotal > p.BytesWritten {
		p.ETA = time.Duration(float64(p.BytesTotal-p.BytesWritten) / p.Rate * float64(time.Second))
	}
	return p
}
