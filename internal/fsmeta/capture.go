package fsmeta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/cofferhq/coffer/internal/repo"
)

// Capturer builds nodes from lstat results. It caches uid/gid name lookups,
// so one Capturer should serve a whole backup.
type Capturer struct {
	// SkipXAttrs disables reading extended attributes.
	SkipXAttrs bool

	mu     sync.Mutex
	users  map[uint32]string
	groups map[uint32]string
}

// Node lstat-s path and returns its node with the given name. It does not
// fill Content or Subtree.
func (c *Capturer) Node(path string, name []byte) (repo.Node, fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return repo.Node{}, nil, err
	}
	n, err := c.NodeFromInfo(path, name, fi)
	return n, fi, err
}

// NodeFromInfo builds a node from an existing lstat result.
func (c *Capturer) NodeFromInfo(path string, name []byte, fi fs.FileInfo) (repo.Node, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return repo.Node{}, fmt.Errorf("lstat %s: no unix stat data", path)
	}
	n := repo.Node{
		Name:      append([]byte(nil), name...),
		Type:      nodeType(fi.Mode()),
		Mode:      uint32(fi.Mode()),
		UID:       st.Uid,
		GID:       st.Gid,
		User:      c.userName(st.Uid),
		Group:     c.groupName(st.Gid),
		ModTimeNs: st.Mtim.Nano(),
		AccTimeNs: st.Atim.Nano(),
		ChgTimeNs: st.Ctim.Nano(),
		Inode:     st.Ino,
		DeviceID:  uint64(st.Dev),
		Links:     uint64(st.Nlink),
	}
	switch n.Type {
	case repo.NodeFile:
		n.Size = uint64(st.Size)
	case repo.NodeSymlink:
		target, err := os.Readlink(path)
		if err != nil {
			return n, fmt.Errorf("readlink %s: %w", path, err)
		}
		n.LinkTarget = []byte(target)
	case repo.NodeDev, repo.NodeCharDev:
		n.Rdev = uint64(st.Rdev)
	}
	if !c.SkipXAttrs && n.Type != repo.NodeSymlink {
		xa, err := readXAttrs(path)
		if err != nil {
			return n, fmt.Errorf("xattrs of %s: %w", path, err)
		}
		n.XAttrs = xa
	}
	return n, nil
}

func nodeType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return repo.NodeFile
	case m.IsDir():
		return repo.NodeDir
	case m&fs.ModeSymlink != 0:
		return repo.NodeSymlink
	case m&fs.ModeCharDevice != 0:
		return repo.NodeCharDev
	case m&fs.ModeDevice != 0:
		return repo.NodeDev
	case m&fs.ModeNamedPipe != 0:
		return repo.NodeFIFO
	case m&fs.ModeSocket != 0:
		return repo.NodeSocket
	}
	return "unknown"
}

func (c *Capturer) userName(uid uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.users[uid]; ok {
		return name
	}
	name := ""
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		name = u.Username
	}
	if c.users == nil {
		c.users = map[uint32]string{}
	}
	c.users[uid] = name
	return name
}

func (c *Capturer) groupName(gid uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.groups[gid]; ok {
		return name
	}
	name := ""
	if g, err := user.LookupGroupId(strconv.Itoa(int(gid))); err == nil {
		name = g.Name
	}
	if c.groups == nil {
		c.groups = map[uint32]string{}
	}
	c.groups[gid] = name
	return name
}

// readXAttrs returns the extended attributes of path, sorted by name, without
// following symlinks. File systems without xattr support yield none.
func readXAttrs(path string) ([]repo.XAttr, error) {
	size, err := unix.Llistxattr(path, nil)
	if err != nil || size == 0 {
		if err != nil && !unsupported(err) {
			return nil, err
		}
		return nil, nil
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(path, buf)
	if err != nil {
		return nil, err
	}
	var out []repo.XAttr
	for _, name := range splitNull(buf[:size]) {
		val, err := getXAttr(path, name)
		if err != nil {
			if unsupported(err) || errors.Is(err, unix.ENODATA) {
				continue
			}
			return nil, err
		}
		out = append(out, repo.XAttr{Name: name, Value: val})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func getXAttr(path, name string) ([]byte, error) {
	size, err := unix.Lgetxattr(path, name, nil)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	size, err = unix.Lgetxattr(path, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:size], nil
}

func splitNull(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}

func unsupported(err error) bool {
	return errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EPERM)
}
