package repo

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Compression flags: the first byte of every blob, index and snapshot
// plaintext.
const (
	flagRaw  = 0
	flagZstd = 1
)

// maxObjectSize bounds what a decoder will decompress for objects without a
// known raw length (index, snapshot), so hostile bytes cannot exhaust memory.
const maxObjectSize = 1 << 30

// Compression selects how hard data blobs are compressed. It only affects
// writing: every level produces ordinary zstd frames.
type Compression int

const (
	// CompressionAuto is the default: see defaultCompression.
	CompressionAuto Compression = iota
	// CompressionFastest favours speed (zstd "fastest").
	CompressionFastest
	// CompressionDefault is zstd's default level, restic's "auto".
	CompressionDefault
	// CompressionMax favours size (zstd "better compression").
	CompressionMax
	// CompressionOff stores data blobs uncompressed.
	CompressionOff
)

// ParseCompression parses auto, fastest, default, max or off.
func ParseCompression(s string) (Compression, error) {
	for c, name := range compressionNames {
		if s == name {
			return Compression(c), nil
		}
	}
	return 0, fmt.Errorf("unknown compression %q: want auto, fastest, default, max or off", s)
}

var compressionNames = []string{"auto", "fastest", "default", "max", "off"}

func (c Compression) String() string {
	if int(c) < len(compressionNames) {
		return compressionNames[c]
	}
	return fmt.Sprintf("compression(%d)", int(c))
}

// defaultCompression is what auto means; chosen by `make bench` (see
// docs/FORMAT.md): zstd's default level matches restic's repository size at
// a cost in speed that the rest of the pipeline absorbs.
const defaultCompression = CompressionDefault

// frameEncoder compresses one input into one zstd frame appended to dst.
// Implementations are safe for concurrent use. Two exist: libzstd through
// cgo (compress_libzstd.go), the fast one, and the pure-Go encoder of
// github.com/klauspost/compress, used when Coffer is built without cgo and
// for the probe. Both write ordinary RFC 8878 frames; readers use
// klauspost's decoder whichever wrote them.
type frameEncoder interface {
	EncodeAll(src, dst []byte) []byte
}

// Encoders and decoders are expensive to create and safe for concurrent
// EncodeAll/DecodeAll, so the package shares one of each.
var (
	zstdOnce sync.Once
	zstdEnc  frameEncoder  // indexes, snapshots, trees and CompressionAuto blobs
	zstdDec  *zstd.Decoder // blobs: output capped by cap(dst), the known raw length
	zstdObj  *zstd.Decoder // index and snapshots: grows up to maxObjectSize

	levelOnce [3]sync.Once
	levelEnc  [3]*zstd.Encoder // pure Go: fastest, default, max
)

func newEncoder(level zstd.EncoderLevel) *zstd.Encoder {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderCRC(false), // AES-GCM already authenticates
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		panic(fmt.Sprintf("zstd encoder: %v", err))
	}
	return enc
}

// levelIndex maps a compression setting to 0 (fastest), 1 (default) or
// 2 (max); ok is false for off.
func levelIndex(c Compression) (i int, ok bool) {
	if c == CompressionAuto {
		c = defaultCompression
	}
	i = int(c) - int(CompressionFastest)
	return i, i >= 0 && i < len(levelEnc)
}

// encoderFor returns the encoder of a compression level, or nil for off:
// libzstd when this build has it, else the pure-Go encoder.
func encoderFor(c Compression) frameEncoder {
	i, ok := levelIndex(c)
	if !ok {
		return nil
	}
	if haveNative {
		return nativeEncoder(i)
	}
	return pureGoEncoder(c)
}

// logEncoderFor returns the encoder of log segments: with libzstd, auto
// means a level above the blobs' default (see libzstdLogLevel).
func logEncoderFor(c Compression) frameEncoder {
	if c == CompressionAuto && haveNative {
		return nativeLogEncoder()
	}
	return encoderFor(c)
}

// pureGoEncoder returns klauspost's encoder of a level, or nil for off.
func pureGoEncoder(c Compression) *zstd.Encoder {
	i, ok := levelIndex(c)
	if !ok {
		return nil
	}
	levelOnce[i].Do(func() {
		levelEnc[i] = newEncoder([]zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression}[i])
	})
	return levelEnc[i]
}

func initZstd() {
	zstdOnce.Do(func() {
		var err error
		zstdEnc = encoderFor(CompressionAuto)
		zstdDec, err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecodeAllCapLimit(true),
			zstd.WithDecoderMaxMemory(maxObjectSize),
		)
		if err != nil {
			panic(fmt.Sprintf("zstd decoder: %v", err))
		}
		zstdObj, err = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderMaxMemory(maxObjectSize),
		)
		if err != nil {
			panic(fmt.Sprintf("zstd decoder: %v", err))
		}
	})
}

// compressBlob appends the blob plaintext of data to dst: one flag byte and
// the zstd frame, or flagRaw and data when compression does not shrink it.
func compressBlob(dst, data []byte) []byte {
	initZstd()
	return compressWith(zstdEnc, dst, data)
}

// compressWith is compressBlob with a chosen encoder; nil stores raw.
// Large chunks that look incompressible (encrypted, already compressed
// data) are stored raw without a full attempt: see incompressible.
func compressWith(enc frameEncoder, dst, data []byte) []byte {
	start := len(dst)
	out, raw := compressFrame(enc, append(dst, flagZstd), data)
	if !raw {
		return out
	}
	dst = append(dst[:start], flagRaw)
	return append(dst, data...)
}

// compressFrame appends data's zstd frame to dst, or reports raw (and
// returns dst unchanged) when data is to be stored as it is: compression
// off, a probe that finds it incompressible, or a frame that does not shrink.
// Callers that store raw data can then copy it once, straight to its place.
func compressFrame(enc frameEncoder, dst, data []byte) (out []byte, raw bool) {
	if enc == nil || incompressible(data) {
		return dst, true
	}
	out = enc.EncodeAll(data, dst)
	if len(out)-len(dst) < len(data) {
		return out, false
	}
	return dst, true
}

// Probing: three slices of probeSize bytes (start, middle, end) of a chunk of
// at least probeMin bytes are compressed with the fastest level; when they
// shrink by less than 3% together, the chunk is stored raw. A full attempt
// at the default level costs as much CPU as compressing text, for nothing.
const (
	probeMin  = 256 << 10
	probeSize = 16 << 10
)

var probeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 3*probeSize+1024); return &b }}

func incompressible(data []byte) bool {
	if len(data) < probeMin {
		return false
	}
	// The pure-Go fastest level: its output bound (probeMaxOut) is known
	// and a 16 KiB slice is too small to repay a cgo call's setup.
	probeEnc := pureGoEncoder(CompressionFastest)
	bp := probeBufs.Get().(*[]byte)
	defer probeBufs.Put(bp)
	out := (*bp)[:0]
	offsets := [...]int{0, len(data)/2 - probeSize/2, len(data) - probeSize}
	const in = len(offsets) * probeSize
	for i, off := range offsets {
		out = probeEnc.EncodeAll(data[off:off+probeSize], out)
		// Stop as soon as the slices left cannot tip the verdict even if
		// they do not shrink at all: text decides after one slice, which
		// saves two thirds of the probe on every compressible chunk.
		if rest := len(offsets) - 1 - i; (len(out)+rest*probeMaxOut)*100 < in*97 {
			*bp = out[:0]
			return false
		}
	}
	*bp = out[:0]
	return len(out)*100 >= in*97
}

// ProbesIncompressible reports whether a data chunk is stored raw without
// a compression attempt (see incompressible). For scripts/pipelinelimit,
// whose compression stage must skip what the repository skips.
func ProbesIncompressible(chunk []byte) bool { return incompressible(chunk) }

// probeMaxOut bounds the zstd frame of one probe slice: a frame header
// (at most 18 bytes) and one raw block (3-byte header), no checksum.
const probeMaxOut = probeSize + 32

var errBadFlag = errors.New("unknown compression flag")

// decompressBlob appends the content of blob plaintext plain to dst[:0],
// refusing to produce more than maxLen bytes. The result must be exactly
// wantLen bytes long unless wantLen < 0.
func decompressBlob(dst, plain []byte, wantLen, maxLen int) ([]byte, error) {
	if len(plain) == 0 {
		return nil, errors.New("empty plaintext (no compression flag)")
	}
	body := plain[1:]
	var out []byte
	switch plain[0] {
	case flagRaw:
		if len(body) > maxLen {
			return nil, fmt.Errorf("raw body of %d bytes exceeds limit %d", len(body), maxLen)
		}
		out = append(dst[:0], body...)
	case flagZstd:
		initZstd()
		var err error
		if wantLen < 0 {
			out, err = zstdObj.DecodeAll(body, dst[:0])
			if err == nil && len(out) > maxLen {
				err = fmt.Errorf("decoded size exceeds limit %d", maxLen)
			}
		} else {
			limit := min(wantLen, maxLen)
			if cap(dst) < limit {
				dst = make([]byte, 0, limit+zstdSlack)
			}
			// Spare capacity past the limit keeps the decoder on its fast
			// copy loops to the last block; more output than wantLen is
			// refused below all the same.
			out, err = zstdDec.DecodeAll(body, dst[:0:min(cap(dst), limit+zstdSlack)])
		}
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
	default:
		return nil, fmt.Errorf("%w %d", errBadFlag, plain[0])
	}
	if wantLen >= 0 && len(out) != wantLen {
		return nil, fmt.Errorf("decoded %d bytes, index says %d", len(out), wantLen)
	}
	return out, nil
}

// EncodeBlobFrame appends src's zstd frame at level c as SaveBlob writes it
// (without the probe), and BlobEncoderName names the encoder: for
// scripts/pipelinelimit, whose zstd stage must measure what backups run.
// Compression off appends src as it is.
func EncodeBlobFrame(c Compression, dst, src []byte) []byte {
	if enc := encoderFor(c); enc != nil {
		return enc.EncodeAll(src, dst)
	}
	return append(dst, src...)
}

// BlobEncoderName names the zstd encoder of this build.
func BlobEncoderName() string { return nativeZstd }

// CompressorHeapBytes is what the blob encoders keep on the Go heap during a
// backup, for the process's memory limit: none for libzstd (its contexts,
// about 1 MiB each, are C memory), 64 MiB for klauspost's encoders.
func CompressorHeapBytes() int64 {
	if haveNative {
		return 0
	}
	return 64 << 20
}
