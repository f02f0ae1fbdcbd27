package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const installHint = "run scripts/deps/storage-servers.sh (or set COFFER_ALLOW_SKIP=1 to skip)"

// startTimeout bounds how long a server may take to accept connections.
const startTimeout = 60 * time.Second

// process is one server binary listening on a fixed loopback port. It can be
// killed and started again on the same port with the same data directory.
type process struct {
	name string
	bin  string
	args []string
	dir  string
	port int
	// stopSignal, if set, is sent first on stop, before SIGKILL.
	stopSignal syscall.Signal

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// findBinary looks in PATH, then in $(go env GOPATH)/bin, then in extra dirs.
func findBinary(name string, extraDirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs := append([]string{filepath.Join(build.Default.GOPATH, "bin")}, extraDirs...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH or %s: %s", name, filepath.Join(build.Default.GOPATH, "bin"), installHint)
}

func fail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("COFFER_ALLOW_SKIP") == "1" {
		t.Skipf("skipping: %v", err)
	}
	t.Fatal(err)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (p *process) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

func (p *process) logPath() string { return filepath.Join(p.dir, p.name+".log") }

// start runs the binary and waits until its port accepts connections.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	logFile, err := os.OpenFile(p.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group so Stop takes forked children (sshd sessions) too;
	// die with the test binary even if it never reaches cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	if err := p.waitListening(done); err != nil {
		p.killLocked()
		return fmt.Errorf("start %s on %s: %w\n%s", p.name, p.addr(), err, p.logTail())
	}
	return nil
}

func (p *process) waitListening(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", p.addr(), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before listening")
		case <-ctx.Done():
			return fmt.Errorf("not listening after %s", startTimeout)
		case <-tick.C:
		}
	}
}

// stop kills the whole process group at once, like a crash or power loss.
func (p *process) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killLocked()
}

func (p *process) killLocked() {
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	if p.stopSignal != 0 {
		// Some servers (Azurite) only persist their state on a clean exit.
		_ = syscall.Kill(pid, p.stopSignal)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
	// Children that moved to their own session (sshd's per-connection
	// processes) escape the process group; find them through /proc.
	for _, child := range descendants(pid) {
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-p.done
	p.cmd, p.done = nil, nil
}

// descendants lists the processes below pid, from /proc's parent links.
func descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may
		// hold spaces: state ppid ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) > 1 {
			if ppid, err := strconv.Atoi(fields[1]); err == nil {
				parent[child] = ppid
			}
		}
	}
	var out []int
	frontier := []int{pid}
	for len(frontier) > 0 {
		p := frontier[0]
		frontier = frontier[1:]
		for child, pp := range parent {
			if pp == p {
				out = append(out, child)
				frontier = append(frontier, child)
			}
		}
	}
	return out
}

func (p *process) logTail() string {
	b, _ := os.ReadFile(p.logPath())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}
