package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds how long a server may take to accept connections
// (crash recovery of a small cluster included).
const startTimeout = 90 * time.Second

// Options configure a cluster.
type Options struct {
	// Settings are written to postgresql.conf (name = value, value as
	// PostgreSQL expects it, quotes included for strings).
	Settings map[string]string
	// InitArgs are extra initdb arguments (e.g. --data-checksums).
	InitArgs []string
}

// Cluster is one running (or stopped) PostgreSQL server.
type Cluster struct {
	// Dir is the cluster's private directory: data/, the socket, the log.
	Dir     string
	DataDir string
	Port    int
	BinDir  string
	LogPath string

	t    testing.TB
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// New initdb's a cluster in a fresh directory and starts it. It is stopped
// and removed when the test ends.
func New(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin := Require(t)
	c := &Cluster{Dir: TempDir(t, "coffer-pg-"), BinDir: bin, t: t}
	c.DataDir = filepath.Join(c.Dir, "data")
	c.LogPath = filepath.Join(c.Dir, "postgres.log")
	args := append([]string{"-D", c.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"}, opts.InitArgs...)
	if out, err := c.command("initdb", args...).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.configure(t, opts.Settings)
	c.Start(t)
	return c
}

// Existing starts a cluster on a data directory made elsewhere (a restore),
// which it hands to the postgres user first. settings are appended to its
// postgresql.conf. The directory is not removed by the cluster.
func Existing(t testing.TB, dataDir string, settings map[string]string) *Cluster {
	t.Helper()
	bin := Require(t)
	c := &Cluster{Dir: TempDir(t, "coffer-pgr-"), DataDir: dataDir, BinDir: bin, t: t}
	c.LogPath = filepath.Join(c.Dir, "postgres.log")
	if err := Chown(dataDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	c.configure(t, settings)
	return c
}

// Base settings keep test clusters small and fast; durability is not
// what these tests measure.
var baseSettings = map[string]string{
	"listen_addresses": "'127.0.0.1'",
	"fsync":            "off",
	"shared_buffers":   "16MB",
	"max_connections":  "30",
	"max_wal_size":     "256MB",
	"log_line_prefix":  "'%m [%p] %a '",
}

func (c *Cluster) configure(t testing.TB, settings map[string]string) {
	t.Helper()
	all := map[string]string{}
	for k, v := range baseSettings {
		all[k] = v
	}
	for k, v := range settings {
		all[k] = v
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("\n# pgtest\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, all[k])
	}
	f, err := os.OpenFile(filepath.Join(c.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// command runs a PostgreSQL binary as the postgres user in the cluster dir.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := AsPostgres(cmd); err != nil {
		c.t.Fatal(err)
	}
	return cmd
}

// Start runs the server on a free port and waits until it accepts
// connections (during recovery too: hot standby is on by default).
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if err := c.StartErr(); err != nil {
		t.Fatal(err)
	}
}

// StartErr is Start returning the error, for tests that expect a failure
// (a recovery target PostgreSQL refuses).
func (c *Cluster) StartErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return nil
	}
	var last error
	for range 3 { // a free port can be taken before the server binds it
		port, err := FreePort()
		if err != nil {
			return err
		}
		c.Port = port
		if last = c.startOnce(); last == nil {
			return nil
		}
		if !strings.Contains(last.Error(), "could not bind") && !strings.Contains(last.Error(), "in use") {
			return last
		}
	}
	return last
}

func (c *Cluster) startOnce() error {
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := c.command("postgres", "-D", c.DataDir, "-p", strconv.Itoa(c.Port), "-k", c.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	// SIGQUIT (immediate shutdown) if the test binary dies without cleanup.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	c.cmd, c.done = cmd, done
	c.t.Cleanup(func() { c.stop(syscall.SIGQUIT) })
	if err := c.waitReady(done); err != nil {
		c.killLocked(syscall.SIGQUIT)
		return fmt.Errorf("start postgres on port %d: %w\n%s", c.Port, err, c.LogTail(30))
	}
	return nil
}

func (c *Cluster) waitReady(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-exited:
			return errors.New("server exited")
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections after %s: %v", startTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop shuts the server down cleanly (fast mode).
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	c.stop(syscall.SIGINT)
}

// Kill crashes the server (immediate shutdown), as a power loss would.
func (c *Cluster) Kill() { c.stop(syscall.SIGQUIT) }

func (c *Cluster) stop(sig syscall.Signal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.killLocked(sig)
}

func (c *Cluster) killLocked(sig syscall.Signal) {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(sig)
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.cmd, c.done = nil, nil
}

// Exited reports whether the server process has ended on its own.
func (c *Cluster) Exited() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		return true
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// DSN is a key/value connection string for database db over TCP.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=%s sslmode=disable connect_timeout=10", c.Port, db)
}

// LogTail returns the last n lines of the server log.
func (c *Cluster) LogTail(n int) string {
	b, _ := os.ReadFile(c.LogPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Log returns the whole server log.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.LogPath)
	return string(b)
}
