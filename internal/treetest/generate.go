package treetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Spec sizes a generated tree.
type Spec struct {
	SmallFiles int   // many small text files
	BigFiles   int   // files spanning many chunks
	BigSize    int64 // size of each big file
	Depth      int   // nesting depth of the deep chain
	Seed       uint64
}

// Generate writes a tree described by spec under dir and returns dir.
func Generate(t testing.TB, dir string, spec Spec) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(spec.Seed, 42))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "small"), 0o755))
	for i := range spec.SmallFiles {
		p := filepath.Join(dir, "small", fmt.Sprintf("f%04d.txt", i))
		must(os.WriteFile(p, textBytes(rng, 1+rng.IntN(3000)), 0o644))
	}
	must(os.MkdirAll(filepath.Join(dir, "big"), 0o750))
	for i := range spec.BigFiles {
		p := filepath.Join(dir, "big", fmt.Sprintf("blob%d.bin", i))
		writeRandom(t, p, rng, spec.BigSize)
	}
	must(os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	deep := dir
	for i := range spec.Depth {
		deep = filepath.Join(deep, fmt.Sprintf("d%d", i))
	}
	must(os.MkdirAll(deep, 0o755))
	must(os.WriteFile(filepath.Join(deep, "bottom.txt"), []byte("deep\n"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "emptydir"), 0o711))

	// Awkward names: not UTF-8, spaces, newlines, leading dash.
	odd := filepath.Join(dir, "names")
	must(os.Mkdir(odd, 0o755))
	for _, name := range []string{"caf\xe9-latin1", "with space", "new\nline", "-dash", "ünïcødé"} {
		must(os.WriteFile(filepath.Join(odd, name), []byte(name), 0o644))
	}

	// Links.
	must(os.Symlink("small/f0000.txt", filepath.Join(dir, "link-rel")))
	must(os.Symlink("/nonexistent/target", filepath.Join(dir, "link-dangling")))
	must(os.WriteFile(filepath.Join(dir, "hard-a"), []byte("shared inode\n"), 0o640))
	must(os.Link(filepath.Join(dir, "hard-a"), filepath.Join(dir, "hard-b")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o620))

	// Modes and times.
	x := filepath.Join(dir, "setuid-exec")
	must(os.WriteFile(x, []byte("#!/bin/sh\n"), 0o755))
	must(os.Chmod(x, 0o4755))
	ro := filepath.Join(dir, "readonly")
	must(os.WriteFile(ro, []byte("read only\n"), 0o444))
	old := time.Date(1999, 12, 31, 23, 59, 58, 123456789, time.UTC)
	must(os.Chtimes(ro, old, old))
	if os.Geteuid() == 0 {
		must(os.Lchown(ro, 1234, 5678))
	}
	return dir
}

func textBytes(rng *rand.Rand, n int) []byte {
	const words = "the quick brown fox jumps over a lazy dog backup restore chunk pack index "
	b := make([]byte, n)
	for i := range b {
		b[i] = words[rng.IntN(len(words))]
	}
	return b
}

func writeRandom(t testing.TB, path string, rng *rand.Rand, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for size > 0 {
		n := min(int64(len(buf)), size)
		for i := 0; i < int(n); i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8 && i+j < int(n); j++ {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		if _, err := f.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		size -= n
	}
}
