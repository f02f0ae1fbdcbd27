// Command benchdata writes the benchmark data set: source-code-like text,
// incompressible binary and many small files, in fixed proportions, from a
// fixed seed so every run measures the same bytes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", ".bench/data", "output directory")
	size := flag.Int64("mib", 2048, "total size in MiB")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	total := *size << 20
	rng := rand.New(rand.NewPCG(*seed, 7))
	// 40% text in 4 MiB-ish files, 40% random in 64 MiB files, 20% small files.
	writeMany(filepath.Join(*dir, "src"), total*4/10, 4<<20, func(w *bufio.Writer, n int64) { writeText(w, rng, n) })
	writeMany(filepath.Join(*dir, "bin"), total*4/10, 64<<20, func(w *bufio.Writer, n int64) { writeRandom(w, rng, n) })
	writeSmall(filepath.Join(*dir, "small"), total*2/10, rng)
}

func writeMany(dir string, total, each int64, fill func(*bufio.Writer, int64)) {
	for i := 0; total > 0; i++ {
		n := min(each, total)
		sub := filepath.Join(dir, fmt.Sprintf("pkg%03d", i/32))
		write(filepath.Join(sub, fmt.Sprintf("file%05d", i)), n, fill)
		total -= n
	}
}

func writeSmall(dir string, total int64, rng *rand.Rand) {
	for i := 0; total > 0; i++ {
		n := min(int64(1024+rng.IntN(15*1024)), total)
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/500))
		write(filepath.Join(sub, fmt.Sprintf("f%06d.txt", i)), n, func(w *bufio.Writer, n int64) {
			if i%2 == 0 {
				writeText(w, rng, n)
			} else {
				writeRandom(w, rng, n)
			}
		})
		total -= n
	}
}

func write(path string, n int64, fill func(*bufio.Writer, int64)) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w, n)
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

var words = []string{"func", "return", "if", "err", "!=", "nil", "{", "}", "for", "range", "ctx", "context.Context",
	"int", "string", "[]byte", "struct", "type", "var", ":=", "fmt.Errorf", "\"%w\"", "repo", "chunk", "pack", "index",
	"snapshot", "tree", "node", "backend", "storage", "Save", "Open", "List", "Remove", "(", ")", ",", "len", "append",
	"make", "map[string]", "go", "defer", "select", "case", "<-", "chan", "switch", "default", "const", "import"}

func writeText(w *bufio.Writer, rng *rand.Rand, n int64) {
	var written int64
	for written < n {
		indent := rng.IntN(4)
		line := make([]byte, 0, 96)
		for range indent {
			line = append(line, '\t')
		}
		for k := 2 + rng.IntN(9); k > 0; k-- {
			line = append(line, words[rng.IntN(len(words))]...)
			line = append(line, ' ')
		}
		if rng.IntN(5) == 0 {
			line = fmt.Appendf(line, "// note %d", rng.IntN(100000))
		}
		line = append(line, '\n')
		if int64(len(line)) > n-written {
			line = line[:n-written]
		}
		w.Write(line)
		written += int64(len(line))
	}
}

func writeRandom(w *bufio.Writer, rng *rand.Rand, n int64) {
	buf := make([]byte, 64<<10)
	for n > 0 {
		for i := 0; i < len(buf); i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		k := min(int64(len(buf)), n)
		w.Write(buf[:k])
		n -= k
	}
}
