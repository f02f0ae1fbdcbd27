package archiver

import (
	"errors"
	"io"
	"io/fs"
	"syscall"
)

// Files are read through bare descriptors: os.Open would try to register
// every file with the network poller (a failing epoll_ctl) and query its
// flags, system calls that cost as much as reading a small file.

// openRaw opens a file for reading without updating its access time where
// the kernel allows it (owner or CAP_FOWNER).
func openRaw(path string) (int, error) {
	for _, flags := range []int{syscall.O_NOATIME, 0} {
		fd, err := ignoringEINTR(func() (int, error) {
			return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|flags, 0)
		})
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, syscall.EPERM) || flags == 0 {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
	panic("unreachable")
}

// rawFile is an io.Reader over a descriptor from openRaw.
type rawFile struct {
	fd   int
	path string
}

func (f rawFile) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := ignoringEINTR(func() (int, error) { return syscall.Read(f.fd, b) })
	switch {
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readFull fills b from f and returns how much it read: less than len(b)
// only at end of file.
func (f rawFile) readFull(b []byte) (int, error) {
	n, err := io.ReadFull(f, b)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

func (f rawFile) stat() (syscall.Stat_t, error) {
	var st syscall.Stat_t
	_, err := ignoringEINTR(func() (int, error) { return 0, syscall.Fstat(f.fd, &st) })
	if err != nil {
		return st, &fs.PathError{Op: "stat", Path: f.path, Err: err}
	}
	return st, nil
}

func (f rawFile) close() {
	if f.fd >= 0 {
		_ = syscall.Close(f.fd)
	}
}

func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if !errors.Is(err, syscall.EINTR) {
			return n, err
		}
	}
}
