package repo

import (
	"io"
	"time"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/storage"
)

// InitOptions configures a new repository. Zero values take the defaults.
type InitOptions struct {
	// PackSize is the target pack size in bytes (default 16 MiB).
	PackSize int
	// ChunkMin, ChunkAvg, ChunkMax are the content-defined chunk sizes
	// (default 256 KiB, 1 MiB, 4 MiB; ChunkAvg must be a power of two).
	ChunkMin, ChunkAvg, ChunkMax int
	// KDF overrides the argon2id parameters when kek is a passphrase.
	KDF *KDFParams
	// Label names the first key slot.
	Label string
	// Clock replaces time.Now (tests).
	Clock func() time.Time
}

// Options tune an open Repository; they are not stored.
type Options struct {
	// PackSize overrides the repository's target pack size for new packs.
	PackSize int
	// Uploaders is the number of concurrent pack uploads (default 3).
	Uploaders int
	// Compression of data blobs; trees, indexes and snapshots always use
	// the default.
	Compression Compression
	// Clock replaces time.Now (tests).
	Clock func() time.Time
}

// Repository is an open repository. All methods are safe for concurrent
// use unless their documentation says otherwise.
type Repository struct {
	be      storage.Backend
	cfg     Config
	cfgErr  error // config failed authentication: reads work, writes refuse
	keys    *keySet
	slotID  string
	chunker chunker.Params
	opts    Options

	idx    *index
	packer *packer
}

// Backend returns the storage the repository lives on.
func (r *Repository) Backend() storage.Backend { return r.be }

// Config returns the repository's configuration.
func (r *Repository) Config() Config { return r.cfg }

// SetOptions changes pack size, upload concurrency or clock. Call it before
// writing; it has no effect while packs are being uploaded.
func (r *Repository) SetOptions(o Options) {
	r.opts = r.withDefaults(o)
	r.packer.setOptions(r.opts)
}

func (r *Repository) withDefaults(o Options) Options {
	if o.PackSize <= 0 {
		o.PackSize = r.cfg.PackSize
	}
	if o.Uploaders <= 0 {
		o.Uploaders = 3
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// ChunkID returns the ID of a data chunk or encoded tree: the BLAKE3-256 of
// data keyed with the repository's chunk-ID key.
func (r *Repository) ChunkID(data []byte) ID { return r.keys.blobID(data) }

// NewChunker returns a content-defined chunker with this repository's
// secret boundaries and sizes.
func (r *Repository) NewChunker(rd io.Reader) *chunker.Chunker {
	return chunker.New(rd, r.chunker)
}

// ChunkerParams returns the chunker parameters (including the secret gear
// table) for callers that reuse Chunkers with Reset.
func (r *Repository) ChunkerParams() chunker.Params { return r.chunker }
