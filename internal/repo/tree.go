package repo

// Tree is one directory: its entries sorted by Name (bytewise). A snapshot's
// root tree holds one node per backed-up top-level path.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Node types.
const (
	NodeFile    = "file"
	NodeDir     = "dir"
	NodeSymlink = "symlink"
	NodeDev     = "dev"     // block device
	NodeCharDev = "chardev" // character device
	NodeFIFO    = "fifo"
	NodeSocket  = "socket"
)

// Node is one entry of a tree with the metadata needed to restore it exactly.
// Names and link targets are raw bytes because file names need not be UTF-8
// (JSON carries them as base64).
type Node struct {
	Name       []byte  `json:"name"`
	Type       string  `json:"type"`
	Mode       uint32  `json:"mode"` // os.FileMode bits, including type bits
	UID        uint32  `json:"uid"`
	GID        uint32  `json:"gid"`
	User       string  `json:"user,omitempty"`
	Group      string  `json:"group,omitempty"`
	ModTimeNs  int64   `json:"mtime"`
	AccTimeNs  int64   `json:"atime,omitempty"`
	ChgTimeNs  int64   `json:"ctime,omitempty"`
	Inode      uint64  `json:"inode,omitempty"`
	DeviceID   uint64  `json:"devid,omitempty"` // st_dev of the containing file system
	Links      uint64  `json:"links,omitempty"`
	Size       uint64  `json:"size,omitempty"`
	LinkTarget []byte  `json:"target,omitempty"`
	Rdev       uint64  `json:"rdev,omitempty"` // device number for dev/chardev
	Content    []ID    `json:"content,omitempty"`
	Subtree    *ID     `json:"subtree,omitempty"`
	XAttrs     []XAttr `json:"xattrs,omitempty"`
}

// XAttr is one extended attribute.
type XAttr struct {
	Name  string `json:"name"`
	Value []byte `json:"value"`
}
