// Command pipelinelimit measures this machine's backup pipeline limit: the
// single-core throughput of each stage Coffer runs on every byte (chunking,
// keyed hashing, zstd at the repository's level, AES-256-GCM) on the same data
// mix as the benchmark, combined into what all cores could do, and the disk's
// sequential write and read speed. `make bench` prints Coffer's backup rate
// as a share of this limit.
package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cofferhq/coffer/internal/chunker"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/mem"
)

func main() {
	dir := flag.String("dir", ".bench", "directory for the disk test")
	mib := flag.Int("mib", 256, "sample size in MiB")
	data := flag.String("data", "", "take the sample from the files below this directory (the benchmark data set), in proportion to its parts")
	flag.Parse()
	sample := makeSample(*mib << 20)
	if *data != "" {
		sample = sampleFrom(*data, *mib<<20)
	}
	r := newRepo()

	chunk := measure(sample, func(b []byte) {
		c := chunker.New(bytes.NewReader(b), r.ChunkerParams())
		buf := make([]byte, chunker.DefaultMax)
		for {
			if _, err := c.Next(buf); errors.Is(err, io.EOF) {
				return
			}
		}
	})
	hash := measure(sample, func(b []byte) { forChunks(b, func(c []byte) { r.ChunkID(c) }) })
	var dst []byte
	// Chunks that probe as incompressible are stored raw by the repository
	// (random data here): charge them the probe, not a full zstd pass.
	comp := measure(sample, func(b []byte) {
		forChunks(b, func(c []byte) {
			if !repo.ProbesIncompressible(c) {
				dst = repo.EncodeBlobFrame(repo.CompressionAuto, dst[:0], c)
			}
		})
	})
	block, _ := aes.NewCipher(make([]byte, 32))
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	seal := measure(sample, func(b []byte) { forChunks(b, func(c []byte) { dst = gcm.Seal(dst[:0], nonce, c, nil) }) })

	perCore := 1 / (1/chunk + 1/hash + 1/comp + 1/seal)
	cores := runtime.NumCPU()
	write, read := disk(*dir, 1<<30)
	limit := min(perCore*float64(cores), read)
	fmt.Printf("chunker      %8.0f MB/s per core\n", chunk)
	fmt.Printf("keyed hash   %8.0f MB/s per core\n", hash)
	fmt.Printf("zstd         %8.0f MB/s per core (level default, %s, %d MiB sample; incompressible chunks probed only)\n", comp, repo.BlobEncoderName(), len(sample)>>20)
	fmt.Printf("AES-256-GCM  %8.0f MB/s per core\n", seal)
	fmt.Printf("all stages   %8.0f MB/s per core x %d cores = %.0f MB/s\n", perCore, cores, perCore*float64(cores))
	fmt.Printf("disk write   %8.0f MB/s (fsync)   disk read %.0f MB/s (cache dropped)\n", write, read)
	fmt.Printf("pipeline limit %.0f MB/s (min of CPU stages and disk read)\n", limit)
}

func newRepo() *repo.Repository {
	kek, err := repo.NewKeyFileKEKFromBytes(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		log.Fatal(err)
	}
	r, err := repo.Init(context.Background(), mem.New(), kek, repo.InitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return r
}

// makeSample mirrors the benchmark data: 40% text, 40% random, 20% mixed.
func makeSample(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"func", "return", "if err != nil {", "}", "ctx", "chunk", "pack", "index", "\n\t", "(", ")", ":=", "fmt.Errorf"}
	var b bytes.Buffer
	for b.Len() < n*4/10 {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(' ')
	}
	rnd := make([]byte, n-b.Len())
	for i := range rnd {
		rnd[i] = byte(rng.Uint32())
	}
	b.Write(rnd)
	return b.Bytes()
}

// sampleFrom reads about n bytes spread over the files below dir: the same
// share of every file, so the sample has the data set's mix.
func sampleFrom(dir string, n int) []byte {
	var files []string
	var total int64
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				files = append(files, p)
				total += info.Size()
			}
		}
		return nil
	})
	if total == 0 {
		log.Fatalf("no data below %s", dir)
	}
	out := make([]byte, 0, n)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		share := int(int64(len(b)) * int64(n) / total)
		out = append(out, b[:min(len(b), share)]...)
	}
	return out
}

func forChunks(b []byte, fn func([]byte)) {
	for len(b) > 0 {
		n := min(len(b), 1<<20)
		fn(b[:n])
		b = b[n:]
	}
}

// measure returns MB/s (MiB/s) of fn over b, best of three.
func measure(b []byte, fn func([]byte)) float64 {
	best := 0.0
	for range 3 {
		start := time.Now()
		fn(b)
		best = max(best, float64(len(b))/(1<<20)/time.Since(start).Seconds())
	}
	return best
}

// disk writes and fsyncs size bytes, drops them from the page cache, and reads them back.
func disk(dir string, size int) (write, read float64) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "disk-test.bin")
	defer os.Remove(path)
	buf := make([]byte, 4<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	for w := 0; w < size; w += len(buf) {
		if _, err := f.Write(buf); err != nil {
			log.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		log.Fatal(err)
	}
	write = float64(size) / (1 << 20) / time.Since(start).Seconds()
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	f.Close()
	f, err = os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	start = time.Now()
	for {
		_, err := f.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	read = float64(size) / (1 << 20) / time.Since(start).Seconds()
	return write, read
}
