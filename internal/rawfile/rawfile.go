package rawfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// Open opens path with the given os.O_* flags and permission bits, like
// os.OpenFile, and returns a blocking *os.File. Errors are *os.PathError.
func Open(path string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(path, flag|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}
