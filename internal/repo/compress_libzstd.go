//go:build cgo

package repo

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/DataDog/zstd"
)

// nativeZstd names the blob encoder of this build, for benchmarks and docs.
const nativeZstd = "libzstd (cgo)"

// haveNative: this build compresses with libzstd.
const haveNative = true

// libzstdLevels are the zstd levels of fastest, default and max: 3 is
// zstd's own default (pgBackRest's too); klauspost's SpeedDefault and
// SpeedBetterCompression stand for about 3 and 7.
var libzstdLevels = [3]int{1, 3, 7}

// libzstdLogLevel compresses log segments under CompressionAuto. Each 1 MiB
// log frame is compressed alone (so restores stream them), which costs
// ratio that whole-segment compressors keep; level 5 wins it back: on
// pgbench WAL 0.0678 of the input against 0.0697 at level 3, at 244 MB/s
// per core, 65 ms for a 16 MiB segment.
const libzstdLogLevel = 5

// libzstdEncoder compresses with the C library. On `make bench` text it is
// about 1.45x as fast as klauspost's SpeedDefault at a 1% better ratio, and
// 1.8x on small files: the largest single cost of a backup.
type libzstdEncoder struct {
	level int
	// free keeps contexts for reuse: each holds C memory that Go's memory
	// limit does not see (0.8 MiB at level 3, 2.6 at 5, 5 at 7, measured
	// after a 4 MiB input), so their number stays bounded
	// (a sync.Pool would drop them at every GC and allocate anew).
	free chan zstd.Ctx
}

var (
	libzstdOnce [4]sync.Once // the three levels, then the log level
	libzstdEnc  [4]*libzstdEncoder
)

func nativeEncoder(i int) frameEncoder {
	libzstdOnce[i].Do(func() {
		level := libzstdLogLevel
		if i < len(libzstdLevels) {
			level = libzstdLevels[i]
		}
		libzstdEnc[i] = &libzstdEncoder{level: level, free: make(chan zstd.Ctx, runtime.GOMAXPROCS(0)+2)}
	})
	return libzstdEnc[i]
}

func nativeLogEncoder() frameEncoder { return nativeEncoder(len(libzstdLevels)) }

// EncodeAll appends src's frame to dst. libzstd fails only on a bad
// parameter or an output buffer below the bound, both programming errors.
func (e *libzstdEncoder) EncodeAll(src, dst []byte) []byte {
	var ctx zstd.Ctx
	select {
	case ctx = <-e.free:
	default:
		ctx = zstd.NewCtx()
	}
	defer func() {
		select {
		case e.free <- ctx:
		default: // more callers than usual: its finalizer frees it
		}
	}()
	bound := zstd.CompressBound(len(src))
	dst = slices.Grow(dst, bound)
	out, err := ctx.CompressLevel(dst[len(dst):len(dst)+bound], src, e.level)
	if err != nil {
		panic(fmt.Sprintf("libzstd level %d: %v", e.level, err))
	}
	return dst[:len(dst)+len(out)]
}
