package storage

import (
	"fmt"
	"io"
)

// sizeReader fails the read that shows the stream is longer or shorter than
// promised, so the upload aborts before the object is committed.
type sizeReader struct {
	r    io.Reader
	name string
	want int64 // < 0: unknown
	got  int64
}

func (s *sizeReader) Read(p []byte) (int, error) {
	if s.want >= 0 && int64(len(p)) > s.want+1-s.got {
		p = p[:s.want+1-s.got] // one byte more proves the size wrong
	}
	n, err := s.r.Read(p)
	s.got += int64(n)
	if s.want < 0 {
		return n, err
	}
	if s.got > s.want {
		return n, Permanent(s.name, fmt.Errorf("reader yielded more than the declared %d bytes", s.want))
	}
	if err == io.EOF && s.got != s.want {
		return n, Permanent(s.name, fmt.Errorf("reader yielded %d bytes, declared %d", s.got, s.want))
	}
	return n, err
}

// CheckSize wraps r for a Save of name with the declared size (< 0:
// unknown): the read that shows the stream is longer or shorter than
// declared fails with a permanent error, so a driver aborts the upload
// before the object is committed. It reads at most one byte past size.
func CheckSize(r io.Reader, name string, size int64) io.Reader {
	return &sizeReader{r: r, name: name, want: size}
}
