package repo

import (
	"encoding/binary"
	"fmt"

	"github.com/cofferhq/coffer/internal/crypto"
)

// Index objects (docs/FORMAT.md, "Index"): stored as
// nonce || AES-GCM(metadata key, plaintext, AAD "index " + hex ID), where the
// plaintext is a compression flag and this body:
//
//	version(1) || uvarint pack count ||
//	per pack: pack ID(32) || uvarint epoch || uvarint size || uvarint blob count ||
//	          per blob: type(1) || ID(32) || uvarint offset || uvarint length || uvarint raw length
const indexVersion = 1

func indexName(id ID) string { return "index/" + id.String() }

func indexAAD(id ID) []byte { return []byte("index " + id.String()) }

func encodeIndexBody(packs []packInfo) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, p := range packs {
		n += 32 + 3*binary.MaxVarintLen64 + len(p.Blobs)*(33+3*binary.MaxVarintLen32)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, indexVersion)
	buf = binary.AppendUvarint(buf, uint64(len(packs)))
	for _, p := range packs {
		buf = append(buf, p.ID[:]...)
		buf = binary.AppendUvarint(buf, uint64(p.Epoch))
		buf = binary.AppendUvarint(buf, uint64(p.Size))
		buf = binary.AppendUvarint(buf, uint64(len(p.Blobs)))
		for _, e := range p.Blobs {
			buf = append(buf, byte(e.Type))
			buf = append(buf, e.ID[:]...)
			buf = binary.AppendUvarint(buf, uint64(e.Offset))
			buf = binary.AppendUvarint(buf, uint64(e.Length))
			buf = binary.AppendUvarint(buf, uint64(e.RawLength))
		}
	}
	return buf
}

// minIndexPack is the smallest encoded pack record.
const minIndexPack = 32 + 4

func decodeIndexBody(b []byte) ([]packInfo, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != indexVersion {
		return nil, fmt.Errorf("unknown index version %d", v)
	}
	count := d.uvarint()
	if d.err == nil && count > uint64(len(d.b)/minIndexPack) {
		return nil, fmt.Errorf("pack count %d does not fit in %d bytes", count, len(b))
	}
	packs := make([]packInfo, 0, count)
	for i := uint64(0); i < count && d.err == nil; i++ {
		var p packInfo
		d.id(&p.ID)
		epoch, size, nblobs := d.uvarint(), d.uvarint(), d.uvarint()
		if d.err != nil {
			break
		}
		if epoch > 1<<32-1 || size > maxPackSize {
			return nil, fmt.Errorf("pack %s: invalid epoch %d or size %d", p.ID, epoch, size)
		}
		if nblobs > uint64(len(d.b)/minHeaderEntry) {
			return nil, fmt.Errorf("pack %s: blob count %d does not fit", p.ID, nblobs)
		}
		p.Epoch, p.Size = uint32(epoch), int64(size)
		p.Blobs = make([]packEntry, 0, nblobs)
		for j := uint64(0); j < nblobs && d.err == nil; j++ {
			var e packEntry
			e.Type = BlobType(d.byte())
			d.id(&e.ID)
			off, length, raw := d.uvarint(), d.uvarint(), d.uvarint()
			if d.err != nil {
				break
			}
			if e.Type != DataBlob && e.Type != TreeBlob {
				return nil, fmt.Errorf("pack %s blob %d: unknown blob type %d", p.ID, j, e.Type)
			}
			if off > size || length > size || off+length > size || length < crypto.Overhead+1 || raw > maxPackSize {
				return nil, fmt.Errorf("pack %s blob %d: offset %d length %d raw %d outside a %d-byte pack", p.ID, j, off, length, raw, size)
			}
			e.Offset, e.Length, e.RawLength = uint32(off), uint32(length), uint32(raw)
			p.Blobs = append(p.Blobs, e)
		}
		packs = append(packs, p)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, errTrailingBytes
	}
	return packs, nil
}

// sealObject encodes an index or snapshot object: compress, then seal with
// the metadata key and aad.
func sealObject(a *crypto.AEAD, body, aad []byte) []byte {
	plain := compressBlob(make([]byte, 0, len(body)/2+16), body)
	return a.Seal(make([]byte, 0, len(plain)+crypto.Overhead), plain, aad)
}

// openObject authenticates and decompresses an index or snapshot object.
func openObject(a *crypto.AEAD, sealed, aad []byte) ([]byte, error) {
	plain, err := a.Open(nil, sealed, aad)
	if err != nil {
		return nil, err
	}
	return decompressBlob(nil, plain, -1, maxObjectSize)
}
