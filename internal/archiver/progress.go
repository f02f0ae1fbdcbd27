package archiver

import (
	"sync/atomic"
	"time"
)

// Progress is a point-in-time view of a running backup.
type Progress struct {
	Phase       string // "backup", "flush", "done"
	Elapsed     time.Duration
	FilesDone   uint64 // files and other non-directory entries finished
	DirsDone    uint64
	BytesDone   uint64 // plaintext bytes accounted for, including unchanged files
	BytesRead   uint64 // plaintext bytes actually read from the source
	BytesStored uint64 // bytes uploaded for new blobs
	// Totals come from a concurrent scan; ScanDone says they are final.
	FilesTotal uint64
	BytesTotal uint64
	ScanDone   bool
	Errors     uint64
	// Rate is bytes done per second since the start; ETA is zero when unknown.
	Rate float64
	ETA  time.Duration
}

type counters struct {
	filesDone, dirsDone               atomic.Uint64
	bytesDone, bytesRead, bytesStored atomic.Uint64
	filesNew, filesChanged, filesSame atomic.Uint64
	bytesAdded, blobsNew, errors      atomic.Uint64
	scanFiles, scanBytes              atomic.Uint64
	scanDone                          atomic.Bool
}

func (c *counters) snapshot(phase string, elapsed time.Duration) Progress {
	p := Progress{
		Phase:       phase,
		Elapsed:     elapsed,
		FilesDone:   c.filesDone.Load(),
		DirsDone:    c.dirsDone.Load(),
		BytesDone:   c.bytesDone.Load(),
		BytesRead:   c.bytesRead.Load(),
		BytesStored: c.bytesStored.Load(),
		FilesTotal:  c.scanFiles.Load(),
		BytesTotal:  c.scanBytes.Load(),
		ScanDone:    c.scanDone.Load(),
		Errors:      c.errors.Load(),
	}
	if secs := elapsed.Seconds(); secs > 0 {
		p.Rate = float64(p.BytesDone) / secs
	}
	if p.ScanDone && p.Rate > 0 && p.BytesTotal > p.BytesDone {
		p.ETA = time.Duration(float64(p.BytesTotal-p.BytesDone) / p.Rate * float64(time.Second))
	}
	return p
}
