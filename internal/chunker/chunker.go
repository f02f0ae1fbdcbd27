package chunker

import (
	"errors"
	"io"
)

// Chunker reads a stream and returns it as content-defined chunks.
// It is not safe for concurrent use; reuse one per goroutine with Reset.
type Chunker struct {
	r      io.Reader
	p      Params
	gear   *Gear
	maskS  uint64
	maskL  uint64
	buf    []byte // buffered input; buf[pos:end] is not yet returned
	pos    int
	end    int
	eof    bool
	err    error
	offset uint64
}

// New returns a Chunker reading r. params must be valid (see Params.Validate);
// invalid sizes are clamped to the defaults.
func New(r io.Reader, params Params) *Chunker {
	if params.Validate() != nil {
		params.Min, params.Avg, params.Max = DefaultMin, DefaultAvg, DefaultMax
	}
	c := &Chunker{p: params, gear: params.Gear}
	if c.gear == nil {
		c.gear = unkeyedGear
	}
	c.maskS, c.maskL = params.masks()
	c.Reset(r)
	return c
}

// Reset makes c read a new stream, keeping its buffer.
func (c *Chunker) Reset(r io.Reader) {
	c.r, c.pos, c.end, c.eof, c.err, c.offset = r, 0, 0, false, nil, 0
}

// Offset returns the stream offset of the next chunk's first byte.
func (c *Chunker) Offset() uint64 { return c.offset }

// Next returns the next chunk, stored in buf if it is large enough (the
// result aliases buf) or in a new slice otherwise. After the last chunk it
// returns io.EOF; read errors are returned as they are.
func (c *Chunker) Next(buf []byte) ([]byte, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	avail := c.buf[c.pos:c.end]
	if len(avail) == 0 {
		return nil, io.EOF
	}
	n := c.cut(avail)
	out := append(buf[:0], avail[:n]...)
	c.pos += n
	c.offset += uint64(n)
	return out, nil
}

// fill makes at least Max bytes available, or everything up to EOF.
func (c *Chunker) fill() error {
	if c.end-c.pos >= c.p.Max || c.eof {
		return nil
	}
	if c.err != nil {
		return c.err
	}
	// Move the unread tail to the front, growing the buffer as the stream
	// turns out to be long (small files never allocate the full window).
	if c.pos > 0 {
		c.end = copy(c.buf, c.buf[c.pos:c.end])
		c.pos = 0
	}
	// Read until Max bytes are buffered; once the buffer has its full size
	// fill it completely, so that the tail is moved once per buffer rather
	// than once per chunk.
	for c.end < c.p.Max || (len(c.buf) == bufferSize(c.p) && c.end < len(c.buf)) {
		if c.end == len(c.buf) {
			c.grow()
		}
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if errors.Is(err, io.EOF) {
			c.eof = true
			return nil
		}
		if err != nil {
			c.err = err
			// Buffered bytes are not a complete stream; the caller fails.
			return err
		}
	}
	return nil
}

// bufferSize is the largest buffer a Chunker uses.
func bufferSize(p Params) int { return 2 * p.Max }

func (c *Chunker) grow() {
	size := max(2*len(c.buf), 64<<10)
	size = min(size, bufferSize(c.p))
	nb := make([]byte, size)
	copy(nb, c.buf[:c.end])
	c.buf = nb
}

// cut returns the length of the chunk at the start of data.
func (c *Chunker) cut(data []byte) int {
	n := len(data)
	if n <= c.p.Min {
		return n
	}
	n = min(n, c.p.Max)
	normal := min(c.p.Avg, n)
	gear := c.gear
	var fp uint64
	i := c.p.Min
	// Start the hash 64 bytes before Min so that the first candidate cut
	// point already sees a full window.
	for _, b := range data[c.p.Min-64 : c.p.Min] {
		fp = fp<<1 + gear[b]
	}
	maskS, maskL := c.maskS, c.maskL
	// Ranging over subslices lets the compiler drop bounds checks; this
	// loop is the chunker's whole cost.
	for j, b := range data[i:normal] {
		fp = fp<<1 + gear[b]
		if fp&maskS == 0 {
			return i + j + 1
		}
	}
	i = normal
	for j, b := range data[i:n] {
		fp = fp<<1 + gear[b]
		if fp&maskL == 0 {
			return i + j + 1
		}
	}
	return n
}
