package storagetest

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// benchSizes are typical object sizes: a small index, a pack, a large pack.
var benchSizes = []int{64 << 10, 4 << 20, 16 << 20}

// Bench measures upload (Save) and download (Open and read) throughput;
// `go test -bench` reports it as MB/s. newBackend must return an empty
// backend; Bench closes it.
func Bench(b *testing.B, newBackend func(b *testing.B) storage.Backend) {
	for _, size := range benchSizes {
		data := randomBytes(uint64(size), size)
		b.Run(fmt.Sprintf("Save/%s", sizeName(size)), func(b *testing.B) {
			be := newBackend(b)
			defer closeBench(b, be)
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				name := fmt.Sprintf("bench/%d", i)
				i++
				if err := be.Save(b.Context(), name, bytes.NewReader(data), int64(size)); err != nil {
					b.Fatalf("Save: %v", err)
				}
				b.StopTimer()
				if err := be.Remove(b.Context(), name); err != nil {
					b.Fatalf("Remove: %v", err)
				}
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("Open/%s", sizeName(size)), func(b *testing.B) {
			be := newBackend(b)
			defer closeBench(b, be)
			if err := be.Save(b.Context(), "bench/read", bytes.NewReader(data), int64(size)); err != nil {
				b.Fatalf("Save: %v", err)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				rc, err := be.Open(b.Context(), "bench/read", 0, -1)
				if err != nil {
					b.Fatalf("Open: %v", err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != int64(size) {
					b.Fatalf("read %d of %d bytes: %v", n, size, err)
				}
			}
		})
	}
}

func closeBench(b *testing.B, be storage.Backend) {
	if err := be.Close(); err != nil {
		b.Errorf("Close: %v", err)
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}
