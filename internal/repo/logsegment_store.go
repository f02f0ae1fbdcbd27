package repo

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/cofferhq/coffer/internal/storage"
)

// ErrLogConflict means a different file is already archived under a name.
var ErrLogConflict = errors.New("a different file with this name is already archived")

// ErrLogNotFound means the repository holds no such log file.
var ErrLogNotFound = errors.New("log file not in the repository")

// LogSaveResult tells what SaveLogSegment did.
type LogSaveResult struct {
	// Existed is true when the same content was already stored under the
	// name; nothing was written.
	Existed bool
	// Stored is the size of the object written (0 when Existed).
	Stored int64
	Info   LogSegmentInfo
}

// SaveLogSegment stores one log file under f.Object(). It is idempotent:
// when the name already holds the same content (same keyed hash and size)
// it writes nothing and reports Existed; when it holds different content it
// refuses with ErrLogConflict, and when that object cannot be read it
// returns the error (a *CorruptionError for damage) rather than overwrite
// something it cannot compare. data is at most 1 GiB.
//
// Two writers racing on one name can both see it missing; the later Save
// wins. PostgreSQL archives each file from one process, so this only
// matters for operators pushing by hand.
func (r *Repository) SaveLogSegment(ctx context.Context, f LogFile, data []byte, rng LogRange) (LogSaveResult, error) {
	if err := r.writable(); err != nil {
		return LogSaveResult{}, err
	}
	if f.Kind == 0 {
		return LogSaveResult{}, fmt.Errorf("save log file %q: use ParseLogFile to name it", f.Name)
	}
	object := f.Object()
	id := r.ChunkID(data)
	old, err := r.StatLogSegment(ctx, f)
	switch {
	case err == nil:
		if old.ContentID == id && old.Size == int64(len(data)) {
			return LogSaveResult{Existed: true, Info: old}, nil
		}
		return LogSaveResult{}, fmt.Errorf("save %s: %w (archived: %d bytes, id %s, archived %s; new: %d bytes, id %s); refusing to overwrite it",
			object, ErrLogConflict, old.Size, old.ContentID.Short(), old.Archived.UTC().Format("2006-01-02T15:04:05Z"), len(data), id.Short())
	case !errors.Is(err, ErrLogNotFound):
		return LogSaveResult{}, fmt.Errorf("save %s: check the archived copy: %w", object, err)
	}
	enc := &logEncoder{
		keys: r.keys, epoch: r.cfg.KeyEpoch, salt: randomBytes(logSaltSize),
		enc:   logEncoderFor(r.opts.Compression),
		nonce: func() []byte { return crypto.RandomNonce(make([]byte, crypto.NonceSize)) },
	}
	info := LogSegmentInfo{Object: object, ContentID: id, Archived: r.opts.Clock().UTC(), LogRange: rng}
	obj, err := enc.encode(info, data)
	if err != nil {
		return LogSaveResult{}, fmt.Errorf("save %s: %w", object, err)
	}
	if err := saveObject(ctx, r.be, object, obj); err != nil {
		return LogSaveResult{}, err
	}
	info.Size, info.Frames = int64(len(data)), logFrames(int64(len(data)))
	return LogSaveResult{Stored: int64(len(obj)), Info: info}, nil
}

// StatLogSegment reads and authenticates only the header of a stored log
// file (one ranged read of at most 64 KiB). A missing file yields an error
// matching ErrLogNotFound and storage.ErrNotExist.
func (r *Repository) StatLogSegment(ctx context.Context, f LogFile) (LogSegmentInfo, error) {
	rd, d, err := r.openLog(ctx, f, logPrefixSize+logMaxHeader)
	if err != nil {
		return LogSegmentInfo{}, err
	}
	rd.Close()
	return d.info, nil
}

// LoadLogSegment streams a stored log file into w, authenticating every
// frame and finally the content hash. On error w may have received part
// of the content: write to a temporary file and rename it only on success.
// Damage yields a *CorruptionError naming the object; a missing file an
// error matching ErrLogNotFound.
func (r *Repository) LoadLogSegment(ctx context.Context, f LogFile, w io.Writer) (LogSegmentInfo, error) {
	rd, d, err := r.openLog(ctx, f, -1)
	if err != nil {
		return LogSegmentInfo{}, err
	}
	defer rd.Close()
	if err := d.copyTo(r.keys, w); err != nil {
		return d.info, err
	}
	return d.info, nil
}

// openLog opens the first length bytes of a stored log file (-1: all of
// it) and authenticates its header. The caller closes the reader.
func (r *Repository) openLog(ctx context.Context, f LogFile, length int64) (io.ReadCloser, *logDecoder, error) {
	object := f.Object()
	rd, err := r.be.Open(ctx, object, 0, length)
	if err != nil {
		return nil, nil, logOpenErr(object, err)
	}
	d, err := openLogHeader(r.keys, object, rd)
	if err != nil {
		rd.Close()
		return nil, nil, err
	}
	return rd, d, nil
}

// RemoveLogSegment deletes one log file (retention).
func (r *Repository) RemoveLogSegment(ctx context.Context, f LogFile) error {
	if err := r.be.Remove(ctx, f.Object()); err != nil {
		return logOpenErr(f.Object(), err)
	}
	return nil
}

func logOpenErr(object string, err error) error {
	if storage.IsNotExist(err) {
		return fmt.Errorf("%s: %w: %w", object, ErrLogNotFound, err)
	}
	return fmt.Errorf("open %s: %w", object, err)
}

// CheckLogSegments reads every file of a stream in full and calls bad for
// each one that is damaged; it returns how many it read and any error that
// stopped it.
func (r *Repository) CheckLogSegments(ctx context.Context, stream string, bad func(LogFile, error)) (int, error) {
	arch, err := r.ListLogSegments(ctx, stream)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range arch.Files {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		_, err := r.LoadLogSegment(ctx, f, io.Discard)
		n++
		if err != nil {
			if !IsCorruption(err) && !errors.Is(err, ErrLogNotFound) {
				return n, err
			}
			bad(f, err)
		}
	}
	return n, nil
}
