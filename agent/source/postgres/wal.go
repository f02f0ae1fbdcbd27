package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	"github.com/cofferhq/coffer/internal/repo"
)

// WALSaver is what archiving needs from a repository.
type WALSaver interface {
	SaveLogSegment(ctx context.Context, f repo.LogFile, data []byte, rng repo.LogRange) (repo.LogSaveResult, error)
}

// WALLoader is what restore_command needs from a repository.
type WALLoader interface {
	LoadLogSegment(ctx context.Context, f repo.LogFile, w io.Writer) (repo.LogSegmentInfo, error)
}

// PushResult tells what PushWAL did.
type PushResult struct {
	File    repo.LogFile
	Existed bool
	Size    int64
	Stored  int64
	// LastCommit is the last commit time found in a segment, if any.
	LastCommit *time.Time
}

// PushWAL archives the file at path (archive_command's %p) into stream.
// Segments are scanned for their commit times first, and refused if the
// name does not match the position their header records (a renamed or
// foreign file). Pushing the same file again succeeds without writing.
func PushWAL(ctx context.Context, r WALSaver, stream, path string) (PushResult, error) {
	if _, err := repo.ParseLogFile(stream, filepath.Base(path)); err != nil {
		return PushResult{}, err // before reading a file with an unusable name
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return PushResult{}, fmt.Errorf("read %s: %w", path, err)
	}
	return PushWALData(ctx, r, stream, filepath.Base(path), data)
}

// PushWALData is PushWAL for a file already read: the agent's WAL socket
// receives the name and the bytes.
func PushWALData(ctx context.Context, r WALSaver, stream, name string, data []byte) (PushResult, error) {
	f, err := repo.ParseLogFile(stream, name)
	if err != nil {
		return PushResult{}, err
	}
	rng, err := segmentRange(f, data)
	if err != nil {
		return PushResult{}, err
	}
	res, err := r.SaveLogSegment(ctx, f, data, rng)
	if err != nil {
		return PushResult{}, err
	}
	return PushResult{File: f, Existed: res.Existed, Size: int64(len(data)), Stored: res.Stored, LastCommit: rng.LastCommit}, nil
}

// segmentRange reads what a segment covers from its content.
func segmentRange(f repo.LogFile, data []byte) (repo.LogRange, error) {
	if f.Kind != repo.LogSegment && f.Kind != repo.LogPartial {
		return repo.LogRange{}, nil
	}
	s, err := pgwal.ScanSegment(data)
	if err != nil {
		return repo.LogRange{}, fmt.Errorf("%s: %w", f.Name, err)
	}
	if want := f.SegNo(uint64(s.SegSize)) * uint64(s.SegSize); uint64(s.Start) != want {
		return repo.LogRange{}, fmt.Errorf("%s: its header says it starts at %s, but its name means %s; refusing a misnamed segment",
			f.Name, s.Start, pgwal.LSN(want))
	}
	rng := repo.LogRange{Start: uint64(s.Start), End: uint64(s.End)}
	if s.Commits > 0 {
		first, last := s.FirstCommit, s.LastCommit
		rng.FirstCommit, rng.LastCommit = &first, &last
	}
	return rng, nil
}

// ErrWALNotArchived means restore_command asked for a file the archive
// does not have: the normal end of archive recovery.
var ErrWALNotArchived = errors.New("not in the WAL archive")

// FetchWAL restores the archived file name (restore_command's %f) of
// stream to dest (%p). The whole file is authenticated before dest
// appears: it is written to a temporary file beside dest and renamed.
// A missing file yields ErrWALNotArchived; damage a *repo.CorruptionError
// naming the object.
func FetchWAL(ctx context.Context, r WALLoader, stream, name, dest string) error {
	f, err := repo.ParseLogFile(stream, name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".coffer-wal-fetch-*")
	if err != nil {
		return fmt.Errorf("fetch %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	_, err = r.LoadLogSegment(ctx, f, tmp)
	if errors.Is(err, repo.ErrLogNotFound) {
		tmp.Close()
		return fmt.Errorf("%s: %w", f.Object(), ErrWALNotArchived)
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("fetch %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("fetch %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("fetch %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("fetch %s: %w", name, err)
	}
	return nil
}
