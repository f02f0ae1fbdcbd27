package repo

import (
	"encoding/binary"
	"errors"
)

var errTruncated = errors.New("truncated")

// decoder reads binary fields from b, remembering the first error so that
// callers check once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail(errTruncated)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) id(id *ID) {
	if len(d.b) < len(id) {
		d.fail(errTruncated)
		return
	}
	copy(id[:], d.b)
	d.b = d.b[len(id):]
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || n != uvarintLen(v) {
		// Only minimal encodings are valid, so each value has one encoding.
		d.fail(errors.New("invalid varint"))
		return 0
	}
	d.b = d.b[n:]
	return v
}
