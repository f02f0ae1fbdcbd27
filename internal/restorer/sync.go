package restorer

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing the batch's ranges to
// disk without waiting, so that the final SyncFS finds little left to do.
func startWriteback(b *batch, fds []*os.File) error {
	lo := make([]int64, len(fds))
	hi := make([]int64, len(fds))
	for i := range lo {
		lo[i] = -1
	}
	for _, p := range b.pieces {
		if lo[p.file] < 0 || p.offset < lo[p.file] {
			lo[p.file] = p.offset
		}
		hi[p.file] = max(hi[p.file], p.offset+int64(p.length))
	}
	for i, fd := range fds {
		if fd == nil || hi[i] <= lo[i] {
			continue
		}
		err := unix.SyncFileRange(int(fd.Fd()), lo[i], hi[i]-lo[i], unix.SYNC_FILE_RANGE_WRITE)
		if err != nil && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("write %s: %w", b.files[i].dst, err)
		}
	}
	return nil
}

// SyncPath fsyncs a file or directory: its data, metadata and, for a
// directory, its entries.
func SyncPath(path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
