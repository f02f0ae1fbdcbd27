package chunker

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Default chunk sizes: average 1 MiB, between 256 KiB and 4 MiB.
const (
	DefaultMin = 256 << 10
	DefaultAvg = 1 << 20
	DefaultMax = 4 << 20
)

// Limits accepted by Params.Validate.
const (
	minAllowed = 64
	maxAllowed = 256 << 20
)

// Gear is the table of 256 pseudo-random 64-bit values that drives the
// rolling hash. Build it once per repository with NewGear and share it.
type Gear [256]uint64

// GearInfo is the HKDF info string that turns a secret into a gear table.
const GearInfo = "coffer v1 fastcdc gear table"

// NewGear derives a gear table from secret: HKDF-SHA256(secret, no salt,
// info GearInfo) expanded to 2048 bytes, read as 256 little-endian uint64s.
func NewGear(secret []byte) *Gear {
	raw, err := hkdf.Key(sha256.New, secret, nil, GearInfo, 256*8)
	if err != nil {
		// Only possible for lengths above 255*32 bytes, which 2048 is not.
		panic(fmt.Sprintf("chunker: derive gear table: %v", err))
	}
	var g Gear
	for i := range g {
		g[i] = binary.LittleEndian.Uint64(raw[i*8:])
	}
	return &g
}

// Params configures a Chunker.
type Params struct {
	Min, Avg, Max int   // chunk sizes in bytes; Avg must be a power of two
	Gear          *Gear // from NewGear; nil uses an unkeyed table (tests only)
}

// DefaultParams returns the default sizes with gear.
func DefaultParams(gear *Gear) Params {
	return Params{Min: DefaultMin, Avg: DefaultAvg, Max: DefaultMax, Gear: gear}
}

// Validate checks that Min <= Avg <= Max, Avg is a power of two and all are
// within sane bounds.
func (p Params) Validate() error {
	switch {
	case p.Min < minAllowed || p.Max > maxAllowed:
		return fmt.Errorf("chunk sizes must be between %d and %d bytes (min %d, max %d)", minAllowed, maxAllowed, p.Min, p.Max)
	case !(p.Min <= p.Avg && p.Avg <= p.Max):
		return fmt.Errorf("chunk sizes must satisfy min <= avg <= max (min %d, avg %d, max %d)", p.Min, p.Avg, p.Max)
	case bits.OnesCount(uint(p.Avg)) != 1:
		return fmt.Errorf("average chunk size %d is not a power of two", p.Avg)
	}
	return nil
}

var unkeyedGear = NewGear([]byte("coffer unkeyed gear table"))

// masks returns the FastCDC normalized-chunking masks (level 2): a stricter
// mask (more bits) before Avg and a looser one after. The ones sit in the
// top bits because with a left-shifting gear hash bit k depends on the last
// k+1 bytes only; the top bits see a 64-byte window.
func (p Params) masks() (small, large uint64) {
	b := bits.Len(uint(p.Avg)) - 1
	sb, lb := min(b+2, 63), max(b-2, 1)
	return ^uint64(0) << (64 - sb), ^uint64(0) << (64 - lb)
}
