package memlimit

import (
	"os"
	"runtime/debug"
)

// Pipeline is the working set of one backup with default settings: packs
// being filled and uploaded, chunks in flight, compressor state.
const Pipeline = 224 << 20

// bytesPerBlob is what one indexed blob costs in memory, with headroom.
const bytesPerBlob = 256

// ForBackup sets a soft memory limit of the pipeline's working set plus
// room for an index of the given number of blobs, unless the user set
// GOMEMLIMIT. The limit is soft: when more is live the runtime exceeds it
// rather than fail, and the index allowance keeps large repositories from
// collecting continuously.
func ForBackup(indexedBlobs int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(Pipeline + int64(indexedBlobs)*bytesPerBlob*2)
}
