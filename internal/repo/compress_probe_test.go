package repo

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestIncompressibleProbe(t *testing.T) {
	t.Parallel()
	random := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	text := bytes.Repeat([]byte("func main() { return nil } // comment\n"), (1<<20)/38)
	if !incompressible(random) {
		t.Error("random data not detected as incompressible")
	}
	if incompressible(text) {
		t.Error("text detected as incompressible")
	}
	if incompressible(random[:100<<10]) {
		t.Error("small chunks must always get a full attempt")
	}
	// Random data stored raw round-trips; text is still compressed.
	for _, data := range [][]byte{random, text} {
		plain := compressWith(encoderFor(CompressionAuto), nil, data)
		got, err := decompressBlob(nil, plain, len(data), len(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("round trip: %v", err)
		}
	}
	if plain := compressWith(encoderFor(CompressionAuto), nil, random); plain[0] != flagRaw {
		t.Error("random chunk was not stored raw")
	}
	if plain := compressWith(encoderFor(CompressionAuto), nil, text); plain[0] != flagZstd || len(plain) > len(text)/4 {
		t.Error("text chunk was not compressed")
	}
}
