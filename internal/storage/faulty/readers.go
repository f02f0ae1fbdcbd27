package faulty

import "io"

// cutReader passes left bytes and then fails with err, like a connection
// that drops.
type cutReader struct {
	r    io.Reader
	left int64
	err  error
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// flipReader flips the lowest bit of the byte at stream offset at.
type flipReader struct {
	r   io.Reader
	pos int64
	at  int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if i := f.at - f.pos; i >= 0 && i < int64(n) {
		p[i] ^= 1
	}
	f.pos += int64(n)
	return n, err
}

type readCloser struct {
	io.Reader
	io.Closer
}
