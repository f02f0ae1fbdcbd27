package repo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/zeebo/blake3"
)

// BenchmarkChunkID compares the two candidate chunk ID functions on a
// typical 1 MiB chunk. Keyed BLAKE3 won on the development machine (AVX-512,
// SHA-NI): see docs/FORMAT.md, "Choices".
func BenchmarkChunkID(b *testing.B) {
	data := randomData(1, 1<<20)
	key := bytes.Repeat([]byte{7}, 32)
	b.Run("blake3-keyed", func(b *testing.B) {
		h, _ := blake3.NewKeyed(key)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			h.Reset()
			h.Write(data)
			h.Sum(nil)
		}
	})
	b.Run("hmac-sha256", func(b *testing.B) {
		m := hmac.New(sha256.New, key)
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			m.Reset()
			m.Write(data)
			m.Sum(nil)
		}
	})
	b.Run("repo", func(b *testing.B) {
		ks := newKeySet(crypto.Key{1})
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			ks.blobID(data)
		}
	})
}

// compressibleData looks like a SQL dump: repetitive text with numbers.
func compressibleData(n int) []byte {
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, "INSERT INTO orders VALUES (%d, 'customer-%d', %d.%02d, '2025-01-%02d');\n", i, i%977, i*37%10000, i%100, i%28+1)
	}
	return buf.Bytes()[:n]
}

// BenchmarkCompress compares every encoder (klauspost's pure-Go levels,
// libzstd's with cgo) on compressible and random 1 MiB chunks (random data
// measures the cost of a failed attempt).
func BenchmarkCompress(b *testing.B) {
	inputs := map[string][]byte{"text": compressibleData(1 << 20), "random": randomData(2, 1<<20)}
	encs := testEncoders()
	names := slices.Sorted(maps.Keys(encs))
	for _, encName := range names {
		enc := encs[encName]
		for _, name := range []string{"text", "random"} {
			data := inputs[name]
			b.Run(fmt.Sprintf("%s/%s", encName, name), func(b *testing.B) {
				dst := make([]byte, 0, len(data)+1024)
				b.SetBytes(int64(len(data)))
				var out []byte
				for b.Loop() {
					out = enc.EncodeAll(data, dst[:0])
				}
				b.ReportMetric(float64(len(out))/float64(len(data)), "ratio")
			})
		}
	}
	b.Run("decompress/text", func(b *testing.B) {
		data := inputs["text"]
		plain := compressBlob(nil, data)
		dst := make([]byte, 0, len(data))
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := decompressBlob(dst, plain, len(data), maxBlobSize); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSaveBlob measures the whole write path (hash, compress, encrypt,
// pack, upload to memory) with callers on every core.
func BenchmarkSaveBlob(b *testing.B) {
	for _, name := range []string{"text", "random"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			r, _ := newTestRepo(b)
			r.SetOptions(Options{PackSize: DefaultPackSize})
			var src []byte
			if name == "text" {
				src = compressibleData(64 << 20)
			} else {
				src = randomData(3, 64<<20)
			}
			const chunk = 1 << 20
			b.SetBytes(chunk)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, chunk)
				for pb.Next() {
					// Make every chunk unique so nothing deduplicates.
					i := int(nextCounter())
					off := (i * 4099) % (len(src) - chunk)
					copy(buf, src[off:off+chunk])
					buf[0], buf[1], buf[2], buf[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
					if _, err := r.SaveBlob(ctx, DataBlob, r.ChunkID(buf), buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := r.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

var benchCounter struct {
	mu sync.Mutex
	n  uint64
}

func nextCounter() uint64 {
	benchCounter.mu.Lock()
	defer benchCounter.mu.Unlock()
	benchCounter.n++
	return benchCounter.n
}
