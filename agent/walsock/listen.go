package walsock

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// DefaultSocketPath is where the agent listens and where wal-push and
// wal-fetch look for it unless told otherwise (EnvSocket or flags).
const DefaultSocketPath = "/run/coffer/agent.sock"

// EnvSocket overrides DefaultSocketPath for the agent and the CLI.
const EnvSocket = "COFFER_AGENT_SOCKET"

// SocketPath is the socket to use when none is configured: EnvSocket, else
// DefaultSocketPath.
func SocketPath() string {
	if p := os.Getenv(EnvSocket); p != "" {
		return p
	}
	return DefaultSocketPath
}

// ErrSocketInUse means another live process serves the socket path.
var ErrSocketInUse = errors.New("another running agent already listens on this socket")

// Listen binds a Unix socket at path with mode 0660 (group given access
// when group is set, e.g. "postgres"), creating its directory (0755) when
// missing. A stale socket file left by a crashed agent is replaced; a
// socket some live process still accepts on is not (ErrSocketInUse), and
// neither is a path that is not a socket.
func Listen(path, group string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	// The umask keeps the socket private from the moment it exists; the
	// chmod then opens it to the group.
	old := syscall.Umask(0o177)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := setAccess(path, group); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func setAccess(path, group string) error {
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return fmt.Errorf("socket group: %w", err)
		}
		gid, err := strconv.Atoi(g.Gid)
		if err != nil {
			return fmt.Errorf("socket group %s: %w", group, err)
		}
		if err := os.Chown(path, -1, gid); err != nil {
			return fmt.Errorf("socket group: %w", err)
		}
	}
	if err := os.Chmod(path, 0o660); err != nil {
		return fmt.Errorf("socket mode: %w", err)
	}
	return nil
}

// removeStale removes path if it is a socket nobody accepts on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("socket %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("socket %s: the path exists and is not a socket; refusing to replace it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("socket %s: %w", path, ErrSocketInUse)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	return nil
}
