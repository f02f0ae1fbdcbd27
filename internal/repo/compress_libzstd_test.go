//go:build cgo

package repo

import "testing"

// With cgo, backups must compress with libzstd: the pure-Go fallback is
// about a third slower, and `make bench` would not say why.
func TestCgoBuildCompressesWithLibzstd(t *testing.T) {
	for _, c := range []Compression{CompressionAuto, CompressionFastest, CompressionDefault, CompressionMax} {
		if _, ok := encoderFor(c).(*libzstdEncoder); !ok {
			t.Errorf("%s: encoder %T, want libzstd", c, encoderFor(c))
		}
	}
	if got := encoderFor(CompressionAuto).(*libzstdEncoder).level; got != 3 {
		t.Errorf("default level %d, want zstd's default 3", got)
	}
	if got := logEncoderFor(CompressionAuto).(*libzstdEncoder).level; got != libzstdLogLevel {
		t.Errorf("log segment level %d, want %d", got, libzstdLogLevel)
	}
	if got := logEncoderFor(CompressionFastest).(*libzstdEncoder).level; got != 1 {
		t.Errorf("log segments with fastest: level %d, want 1", got)
	}
}
