package repo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// testEncoders are every frame encoder this build has: the pure-Go levels
// always, libzstd's with cgo. Each must pass the same round trips.
func testEncoders() map[string]frameEncoder {
	encs := map[string]frameEncoder{}
	if haveNative {
		encs["native/log"] = nativeLogEncoder()
	}
	for _, c := range []Compression{CompressionFastest, CompressionDefault, CompressionMax} {
		encs["klauspost/"+c.String()] = pureGoEncoder(c)
		if i, _ := levelIndex(c); haveNative {
			encs["native/"+c.String()] = nativeEncoder(i)
		}
	}
	return encs
}

func encoderInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(9, 9))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	text := bytes.Repeat([]byte("SELECT id, name FROM accounts WHERE balance > 0; -- comment\n"), 70000)
	return map[string][]byte{
		"empty":            {},
		"one byte":         {42},
		"small text":       text[:3000],
		"4 MiB text":       text[:4<<20],
		"random 300 KiB":   random(300 << 10),
		"zeros 16 MiB":     make([]byte, 16<<20),
		"text then random": append(append([]byte{}, text[:1<<20]...), random(1<<20)...),
	}
}

// Every encoder appends one frame after dst's bytes (leaving them as they
// were) that the reader's decoder turns back into the input exactly.
func TestEveryEncoderRoundTrips(t *testing.T) {
	t.Parallel()
	inputs := encoderInputs()
	for name, enc := range testEncoders() {
		for in, data := range inputs {
			t.Run(fmt.Sprintf("%s/%s", name, in), func(t *testing.T) {
				prefix := []byte{flagZstd}
				// A tight capacity makes the encoder grow dst itself.
				plain := enc.EncodeAll(data, prefix[:1:1])
				if plain[0] != flagZstd {
					t.Fatalf("prefix overwritten: %x", plain[0])
				}
				got, err := decompressBlob(nil, plain, len(data), len(data))
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("round trip changed %d bytes into %d different bytes", len(data), len(got))
				}
				// Reused capacity, as SaveBlob's scratch buffers do.
				again := enc.EncodeAll(data, plain[:1])
				if got, err := decompressBlob(nil, again, len(data), len(data)); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("round trip into a reused buffer: %v", err)
				}
			})
		}
	}
}

// Encoders are shared by every worker: concurrent use must not mix frames.
func TestEncodersConcurrent(t *testing.T) {
	t.Parallel()
	inputs := encoderInputs()
	for name, enc := range testEncoders() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			errs := make(chan error, 4)
			for w := range 4 {
				go func() {
					for range 3 {
						for in, data := range inputs {
							data = append(data[:len(data):len(data)], byte(w))
							plain := enc.EncodeAll(data, []byte{flagZstd})
							got, err := decompressBlob(nil, plain, len(data), len(data))
							if err != nil || !bytes.Equal(got, data) {
								errs <- fmt.Errorf("worker %d, %s: round trip failed: %v", w, in, err)
								return
							}
						}
					}
					errs <- nil
				}()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// The compression levels keep their promise on text: max no larger than
// default, default no larger than fastest.
func TestEncoderLevelsOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	words := []string{"func", "return", "if err != nil {", "}", "ctx", "chunk", "pack", "index", "\n\t", "(", ")", ":=", "fmt.Errorf"}
	var text bytes.Buffer
	for text.Len() < 1<<20 {
		text.WriteString(words[rng.IntN(len(words))])
		text.WriteByte(' ')
	}
	size := map[Compression]int{}
	for _, c := range []Compression{CompressionFastest, CompressionDefault, CompressionMax} {
		size[c] = len(encoderFor(c).EncodeAll(text.Bytes(), nil))
	}
	if size[CompressionMax] > size[CompressionDefault] || size[CompressionDefault] > size[CompressionFastest] {
		t.Errorf("%s: sizes fastest %d, default %d, max %d: not in order", BlobEncoderName(),
			size[CompressionFastest], size[CompressionDefault], size[CompressionMax])
	}
	if encoderFor(CompressionOff) != nil {
		t.Error("compression off has an encoder")
	}
}

func FuzzEncoderRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbb"))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, 5000))
	encs := testEncoders()
	names := make([]string, 0, len(encs))
	for name := range encs {
		names = append(names, name)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range names {
			plain := encs[name].EncodeAll(data, []byte{flagZstd})
			got, err := decompressBlob(nil, plain, len(data), len(data))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: round trip failed: %v", name, err)
			}
		}
	})
}
