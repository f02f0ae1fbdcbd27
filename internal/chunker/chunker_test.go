package chunker

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	resticchunker "github.com/restic/chunker"
)

func randomBytes(seed uint64, n int) []byte {
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func chunks(t testing.TB, r io.Reader, p Params) [][]byte {
	t.Helper()
	c := New(r, p)
	var out [][]byte
	for {
		b, err := c.Next(nil)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func TestChunksReassembleWithinBounds(t *testing.T) {
	t.Parallel()
	p := DefaultParams(NewGear([]byte("secret")))
	data := randomBytes(1, 40<<20)
	got := chunks(t, bytes.NewReader(data), p)
	if !bytes.Equal(bytes.Join(got, nil), data) {
		t.Fatal("chunks do not reassemble the input")
	}
	for i, c := range got[:len(got)-1] {
		if len(c) < p.Min || len(c) > p.Max {
			t.Fatalf("chunk %d has %d bytes, outside [%d, %d]", i, len(c), p.Min, p.Max)
		}
	}
	avg := len(data) / len(got)
	if avg < p.Avg/2 || avg > p.Avg*2 {
		t.Fatalf("average chunk %d bytes, want about %d", avg, p.Avg)
	}
}

func TestBoundariesIndependentOfReads(t *testing.T) {
	t.Parallel()
	p := Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10, Gear: NewGear([]byte("k"))}
	data := randomBytes(2, 1<<20)
	whole := chunks(t, bytes.NewReader(data), p)
	small := chunks(t, iotest.OneByteReader(bytes.NewReader(data)), p)
	half := chunks(t, iotest.HalfReader(bytes.NewReader(data)), p)
	if len(whole) != len(small) || len(whole) != len(half) {
		t.Fatalf("chunk counts differ: %d %d %d", len(whole), len(small), len(half))
	}
	for i := range whole {
		if !bytes.Equal(whole[i], small[i]) || !bytes.Equal(whole[i], half[i]) {
			t.Fatalf("chunk %d differs between read patterns", i)
		}
	}
}

// TestInsertionShiftsFewChunks is why we chunk by content: inserting bytes
// near the start changes only the chunks around the insertion.
func TestInsertionShiftsFewChunks(t *testing.T) {
	t.Parallel()
	p := Params{Min: 2 << 10, Avg: 8 << 10, Max: 32 << 10, Gear: NewGear([]byte("k"))}
	data := randomBytes(3, 2<<20)
	edited := append(append(append([]byte{}, data[:5000]...), []byte("inserted")...), data[5000:]...)
	before := map[string]bool{}
	for _, c := range chunks(t, bytes.NewReader(data), p) {
		before[string(c)] = true
	}
	after := chunks(t, bytes.NewReader(edited), p)
	changed := 0
	for _, c := range after {
		if !before[string(c)] {
			changed++
		}
	}
	if changed > 3 {
		t.Fatalf("%d of %d chunks changed after a small insertion", changed, len(after))
	}
}

func TestSecretChangesBoundaries(t *testing.T) {
	t.Parallel()
	data := randomBytes(4, 8<<20)
	a := chunks(t, bytes.NewReader(data), DefaultParams(NewGear([]byte("one"))))
	b := chunks(t, bytes.NewReader(data), DefaultParams(NewGear([]byte("two"))))
	if len(a[0]) == len(b[0]) && len(a[1]) == len(b[1]) {
		t.Fatal("different secrets gave the same boundaries")
	}
}

func TestBufferReuseAndReset(t *testing.T) {
	t.Parallel()
	p := Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}
	data := randomBytes(5, 200<<10)
	c := New(bytes.NewReader(data), p)
	buf := make([]byte, p.Max)
	var total int
	for {
		b, err := c.Next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if &b[0] != &buf[0] {
			t.Fatal("Next did not reuse a large enough buffer")
		}
		total += len(b)
	}
	if total != len(data) || c.Offset() != uint64(len(data)) {
		t.Fatalf("read %d, offset %d, want %d", total, c.Offset(), len(data))
	}
	c.Reset(bytes.NewReader([]byte("tiny")))
	b, err := c.Next(nil)
	if err != nil || string(b) != "tiny" {
		t.Fatalf("after Reset: %q %v", b, err)
	}
	if _, err := c.Next(nil); err != io.EOF {
		t.Fatalf("want EOF, got %v", err)
	}
	c.Reset(bytes.NewReader(nil))
	if _, err := c.Next(nil); err != io.EOF {
		t.Fatalf("empty stream: want EOF, got %v", err)
	}
}

func TestReadErrorIsReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	c := New(io.MultiReader(bytes.NewReader(randomBytes(6, 10)), iotest.ErrReader(boom)), Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10})
	if _, err := c.Next(nil); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the read error", err)
	}
	if _, err := c.Next(nil); !errors.Is(err, boom) {
		t.Fatalf("second call: got %v, want the read error again", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	bad := []Params{
		{Min: 10, Avg: 16, Max: 32},
		{Min: 4096, Avg: 3000, Max: 8192},
		{Min: 4096, Avg: 6000, Max: 8192},
		{Min: 4096, Avg: 8192, Max: 1 << 30},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := DefaultParams(nil).Validate(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkChunker(b *testing.B) {
	data := randomBytes(7, 64<<20)
	p := DefaultParams(NewGear([]byte("bench")))
	c := New(nil, p)
	buf := make([]byte, p.Max)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c.Reset(bytes.NewReader(data))
		for {
			var err error
			buf, err = c.Next(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkResticChunker is the alternative we measured against: Rabin
// fingerprints with a random polynomial (github.com/restic/chunker), set to
// the same sizes (its default 1 MiB average). FastCDC was about three times as
// fast on the development machine.
func BenchmarkResticChunker(b *testing.B) {
	data := randomBytes(7, 64<<20)
	pol := resticchunker.Pol(0x3DA3358B4DC173)
	c := resticchunker.NewWithBoundaries(nil, pol, DefaultMin, DefaultMax)
	buf := make([]byte, DefaultMax)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c.Reset(bytes.NewReader(data), pol)
		for {
			ch, err := c.Next(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			buf = ch.Data
		}
	}
}
