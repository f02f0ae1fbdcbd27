package repo

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer/internal/crypto"
)

// Pack layout (docs/FORMAT.md, "Packs"):
//
//	blob_0 || ... || blob_n-1 || header section || uint32le(len(header section))
//
// header section = version(1) || epoch(uint32le) || nonce(12) || ciphertext || tag(16)
//
// The header plaintext lists every blob; blobs are contiguous from offset 0
// to the start of the header section, so every byte of a pack is covered by
// one GCM tag or, for the trailer, by the position of the header it points to.
const (
	packHeaderVersion = 1
	packTrailerSize   = 4
	packHeaderPrefix  = 1 + 4 // version, epoch
	// maxPackSize keeps offsets in 32 bits.
	maxPackSize = 1<<32 - 1
	// maxHeaderSection bounds header allocations while decoding.
	maxHeaderSection = 64 << 20
	// minHeaderEntry is the smallest encoded entry: type, ID, three 1-byte varints.
	minHeaderEntry = 1 + 32 + 3
)

// packEntry describes one blob in a pack.
type packEntry struct {
	Type      BlobType
	ID        ID
	Offset    uint32
	Length    uint32
	RawLength uint32
}

// packName is the storage name of a pack.
func packName(id ID) string {
	h := id.String()
	return "data/" + h[:2] + "/" + h
}

// packHeaderAAD binds the header to its pack ID, version and epoch.
func packHeaderAAD(pack ID, epoch uint32) []byte {
	aad := make([]byte, 0, 11+32+5)
	aad = append(aad, "pack header"...)
	aad = append(aad, pack[:]...)
	aad = append(aad, packHeaderVersion)
	return binary.LittleEndian.AppendUint32(aad, epoch)
}

// encodePackHeader returns the header plaintext: uvarint count, then per
// blob type(1) || id(32) || uvarint offset || uvarint length || uvarint raw.
func encodePackHeader(entries []packEntry) []byte {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(entries)*headerEntryMax)
	buf = binary.AppendUvarint(buf, uint64(len(entries)))
	for _, e := range entries {
		buf = appendHeaderEntry(buf, e)
	}
	return buf
}

func appendHeaderEntry(buf []byte, e packEntry) []byte {
	buf = append(buf, byte(e.Type))
	buf = append(buf, e.ID[:]...)
	buf = binary.AppendUvarint(buf, uint64(e.Offset))
	buf = binary.AppendUvarint(buf, uint64(e.Length))
	return binary.AppendUvarint(buf, uint64(e.RawLength))
}

// headerEntrySize is the encoded size of e in a pack header.
func headerEntrySize(e packEntry) int {
	return 33 + uvarintLen(uint64(e.Offset)) + uvarintLen(uint64(e.Length)) + uvarintLen(uint64(e.RawLength))
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// sealPackHeader returns the header section for plain.
func sealPackHeader(a *crypto.AEAD, pack ID, epoch uint32, plain []byte) []byte {
	var nonce [crypto.NonceSize]byte
	return sealPackHeaderNonce(a, pack, epoch, plain, crypto.RandomNonce(nonce[:]))
}

func sealPackHeaderNonce(a *crypto.AEAD, pack ID, epoch uint32, plain, nonce []byte) []byte {
	sec := make([]byte, 0, packHeaderPrefix+len(plain)+crypto.Overhead)
	sec = append(sec, packHeaderVersion)
	sec = binary.LittleEndian.AppendUint32(sec, epoch)
	return a.SealWithNonce(sec, nonce, plain, packHeaderAAD(pack, epoch))
}

// splitPackTrailer locates the header section at the end of a complete
// pack and returns its start offset.
func splitPackTrailer(pack []byte) (int, error) {
	if len(pack) < packTrailerSize {
		return 0, fmt.Errorf("pack trailer: pack is %d bytes, too short for the 4-byte trailer", len(pack))
	}
	n := binary.LittleEndian.Uint32(pack[len(pack)-packTrailerSize:])
	body := len(pack) - packTrailerSize
	if uint64(n) > uint64(body) || n < packHeaderPrefix+crypto.Overhead || n > maxHeaderSection {
		return 0, fmt.Errorf("pack trailer: header length %d does not fit a %d-byte pack", n, len(pack))
	}
	return body - int(n), nil
}

// openPackHeader authenticates a header section found at headerStart and
// decodes its entries.
func openPackHeader(keys *keySet, pack ID, section []byte, headerStart int) ([]packEntry, uint32, error) {
	if len(section) < packHeaderPrefix+crypto.Overhead {
		return nil, 0, fmt.Errorf("pack header: %d bytes is too short", len(section))
	}
	if section[0] != packHeaderVersion {
		return nil, 0, fmt.Errorf("pack header: unknown version %d", section[0])
	}
	epoch := binary.LittleEndian.Uint32(section[1:5])
	a, err := keys.packAEAD(epoch, pack)
	if err != nil {
		return nil, 0, fmt.Errorf("pack header: %w", err)
	}
	plain, err := a.Open(nil, section[packHeaderPrefix:], packHeaderAAD(pack, epoch))
	if err != nil {
		return nil, 0, fmt.Errorf("pack header: %w", err)
	}
	entries, err := decodePackHeader(plain, headerStart)
	if err != nil {
		return nil, 0, fmt.Errorf("pack header: %w", err)
	}
	return entries, epoch, nil
}

var errTrailingBytes = errors.New("trailing bytes")

// decodePackHeader parses a header plaintext and checks that the blobs are
// contiguous from offset 0 to headerStart.
func decodePackHeader(plain []byte, headerStart int) ([]packEntry, error) {
	d := decoder{b: plain}
	count := d.uvarint()
	if d.err == nil && count > uint64(len(plain)/minHeaderEntry) {
		return nil, fmt.Errorf("blob count %d does not fit in %d bytes", count, len(plain))
	}
	entries := make([]packEntry, 0, count)
	var next uint64
	for i := uint64(0); i < count && d.err == nil; i++ {
		var e packEntry
		e.Type = BlobType(d.byte())
		d.id(&e.ID)
		off, length, raw := d.uvarint(), d.uvarint(), d.uvarint()
		if d.err != nil {
			break
		}
		if e.Type != DataBlob && e.Type != TreeBlob {
			return nil, fmt.Errorf("blob %d: unknown blob type %d", i, e.Type)
		}
		if off != next {
			return nil, fmt.Errorf("blob %d: offset %d, want %d (blobs must be contiguous)", i, off, next)
		}
		if length < crypto.Overhead+1 || length > maxPackSize || raw > maxPackSize {
			return nil, fmt.Errorf("blob %d: invalid length %d or raw length %d", i, length, raw)
		}
		next = off + length
		if next > uint64(headerStart) {
			return nil, fmt.Errorf("blob %d: ends at %d, past the header at %d", i, next, headerStart)
		}
		e.Offset, e.Length, e.RawLength = uint32(off), uint32(length), uint32(raw)
		entries = append(entries, e)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errTrailingBytes
	}
	if next != uint64(headerStart) {
		return nil, fmt.Errorf("blobs end at %d but the header starts at %d", next, headerStart)
	}
	return entries, nil
}
