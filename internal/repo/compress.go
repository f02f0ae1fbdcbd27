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

// Encoders and decoders are expensive to create and safe for concurrent
// EncodeAll/DecodeAll, so the package shares one of each.
var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder // blobs: output capped by cap(dst), the known raw length
	zstdObj  *zstd.Decoder // index and snapshots: grows up to maxObjectSize
)

// zstdLevel was picked by BenchmarkCompress: SpeedFastest compresses about
// twice as fast as SpeedDefault for a few percent larger output, and the
// pipeline is CPU-bound on compression.
const zstdLevel = zstd.SpeedFastest

func initZstd() {
	zstdOnce.Do(func() {
		var err error
		zstdEnc, err = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstdLevel),
			zstd.WithEncoderCRC(false), // AES-GCM already authenticates
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithLowerEncoderMem(true),
		)
		if err != nil {
			panic(fmt.Sprintf("zstd encoder: %v", err))
		}
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
	start := len(dst)
	dst = append(dst, flagZstd)
	dst = zstdEnc.EncodeAll(data, dst)
	if len(dst)-start-1 < len(data) {
		return dst
	}
	dst = append(dst[:start], flagRaw)
	return append(dst, data...)
}

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
				dst = make([]byte, 0, limit)
			}
			out, err = zstdDec.DecodeAll(body, dst[:0:limit])
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
