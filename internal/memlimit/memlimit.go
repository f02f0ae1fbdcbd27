package memlimit

import (
	"os"
	"runtime/debug"
)

// Pipeline is the working set of one backup with default settings: packs
// being filled and uploaded (80 MiB), chunk slots and chunker buffers
// (40 MiB), and headroom. Measured with `make bench`: a limit that large
// backups reach but small ones do not makes the small ones' peak lower, so
// it sits close to what is live (160 MiB: 224 vs 228 MiB peak RSS for 1
// and 4 GiB; 224 MiB gave 247 vs 284), at no cost in speed.
const Pipeline = 160 << 20

// bytesPerBlob is what one indexed blob costs in memory, with headroom.
const bytesPerBlob = 256

// ForBackup sets a soft memory limit of the pipeline's working set, the
// compressor's state on the Go heap and room for an index of the given
// number of blobs, unless the user set GOMEMLIMIT. The limit is soft: when
// more is live the runtime exceeds it rather than fail, and the index
// allowance keeps large repositories from collecting continuously.
func ForBackup(indexedBlobs int, compressorHeap int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(Pipeline + compressorHeap + int64(indexedBlobs)*bytesPerBlob*2)
}
