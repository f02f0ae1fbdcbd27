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

// The early exit must give the verdict of probing all three slices.
func TestIncompressibleProbeEarlyExitSameVerdict(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	text := func(n int) []byte {
		return bytes.Repeat([]byte("if err != nil { return err } // x\n"), n/34+1)[:n]
	}
	const n = 1 << 20
	cases := map[string][]byte{
		"random":           random(n),
		"text":             text(n),
		"text then random": append(text(n/2), random(n/2)...),
		"random then text": append(random(n/2), text(n/2)...),
		"mostly random":    append(append(random(n-probeSize/2), text(probeSize/4)...), random(probeSize/4)...),
	}
	for name, data := range cases {
		enc := pureGoEncoder(CompressionFastest)
		var out []byte
		for _, off := range []int{0, len(data)/2 - probeSize/2, len(data) - probeSize} {
			out = enc.EncodeAll(data[off:off+probeSize], out)
		}
		want := len(out)*100 >= 3*probeSize*97
		if got := incompressible(data); got != want {
			t.Errorf("%s: incompressible = %v, probing every slice says %v", name, got, want)
		}
	}
	if out := pureGoEncoder(CompressionFastest).EncodeAll(random(probeSize), nil); len(out) > probeMaxOut {
		t.Errorf("probe of random data: %d bytes, above the bound %d", len(out), probeMaxOut)
	}
}
