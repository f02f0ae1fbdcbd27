package archiver

import (
	"context"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"time"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/repo"
)

// Repository is what the archiver needs from a repository.
type Repository interface {
	ChunkID(data []byte) repo.ID
	NewChunker(rd io.Reader) *chunker.Chunker
	ChunkerParams() chunker.Params
	SaveBlob(ctx context.Context, t repo.BlobType, id repo.ID, data []byte) (repo.SaveResult, error)
	SaveTree(ctx context.Context, t *repo.Tree) (repo.ID, error)
	LoadTree(ctx context.Context, id repo.ID) (*repo.Tree, error)
	HasBlob(t repo.BlobType, id repo.ID) bool
	Flush(ctx context.Context) error
	SaveSnapshot(ctx context.Context, sn *repo.Snapshot) (repo.ID, error)
}

// Options configure a backup.
type Options struct {
	// Workers hash, compress and encrypt chunks; default: number of CPUs.
	Workers int
	// Readers read and cut large files, one file each at a time; default
	// 2, restic's read concurrency: enough to keep two cores busy on
	// incompressible data, few enough not to seek a disk to death.
	Readers int
	// Excludes are glob patterns. A pattern with a slash matches the whole
	// absolute path; one without matches the base name. "**" spans directories.
	Excludes []string
	// OneFileSystem keeps mount points below a backed-up path as empty
	// directories instead of descending into other file systems.
	OneFileSystem bool
	// OnError decides about an entry that cannot be read: return nil to skip
	// it (the snapshot is then marked incomplete) or an error to abort.
	// The default aborts.
	OnError func(path string, err error) error
	// Warn receives non-fatal findings such as a file changing while read.
	Warn func(path string, err error)
	// Progress is called about once per ProgressInterval and at the end.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Snapshot fields.
	Hostname, Username string
	Tags               []string
	Source, Kind       string

	// ExcludeFunc, when set, excludes the absolute paths for which it
	// returns true, in addition to Excludes (for rules globs cannot say).
	ExcludeFunc func(path string) bool
	// FixedChunkSize, when set, returns a chunk size for a file (at most
	// the repository's maximum chunk size): the file is cut into chunks of
	// exactly that size from its start instead of content-defined chunks.
	// Database pages stay aligned, so a changed page costs one chunk.
	// Zero keeps content-defined chunking.
	FixedChunkSize func(path string) int
	// ReadAll re-reads every file even when the parent snapshot says it is
	// unchanged (a checksum or "delta" backup); only chunks that are not
	// stored yet are uploaded.
	ReadAll bool
	// Streams are saved as regular files at their snapshot paths, next to
	// the backed-up paths (which then may be empty). Any error reading a
	// stream, including from its Close, fails the backup.
	Streams []Stream
	// BeforeSnapshot runs after every blob is flushed and before the
	// snapshot is saved; it may add fields such as Metadata. An error
	// fails the backup without a snapshot.
	BeforeSnapshot func(ctx context.Context, sn *repo.Snapshot) error
}

// Stream is content that does not come from a file, such as the output
// of a dump command.
type Stream struct {
	// Path is the absolute snapshot path, e.g. "/postgres/app.dump". It
	// must not lie inside one of the backed-up paths.
	Path string
	// Open starts the stream. Close's error is the stream's verdict: a
	// dump command reports its exit status there.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Mode is the file's permission bits (default 0600); ModTime defaults
	// to the start of the backup.
	Mode    fs.FileMode
	ModTime time.Time
}

func (o *Options) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Readers <= 0 {
		o.Readers = 2
	}
	if o.OnError == nil {
		o.OnError = func(_ string, err error) error { return err }
	}
	if o.Warn == nil {
		o.Warn = func(string, error) {}
	}
	// The walker, the file readers and the tree saver all report: callers'
	// callbacks are called one at a time.
	var mu sync.Mutex
	onError, warn := o.OnError, o.Warn
	o.OnError = func(path string, err error) error { mu.Lock(); defer mu.Unlock(); return onError(path, err) }
	o.Warn = func(path string, err error) { mu.Lock(); defer mu.Unlock(); warn(path, err) }
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Result is what a finished backup reports.
type Result struct {
	ID       repo.ID
	Snapshot *repo.Snapshot
	// Errors counts entries skipped because they could not be read.
	Errors int
}
