package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/pgtest"
)

// freshDatabase creates a database for one test on the machine's
// PostgreSQL server and drops it afterwards.
func freshDatabase(t *testing.T) string {
	t.Helper()
	return pgtest.FreshDatabase(t, "coffer_e2e_", "the controller end-to-end tests")
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a coffer process started by a test.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(coffer, args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("--- output of %s ---\n%s", name, p.out.String())
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process with SIGTERM, then SIGKILL after a grace period.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process with SIGKILL, as a crash would.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// cluster is a `coffer controller` process on PostgreSQL plus the agents
// the test starts.
type cluster struct {
	t                  *testing.T
	dir, dsn           string
	httpAddr, grpcAddr string
	token              string
	ctl                *proc
	starts             int
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir(), dsn: freshDatabase(t), httpAddr: freePort(t), grpcAddr: freePort(t)}
	cfg := fmt.Sprintf(`dataDir: %[1]s
catalog:
  dsn: %[2]s
http:
  addr: %[3]s
grpc:
  addr: %[4]s
adminTokenFile: %[1]s/admin.token
agents:
  leaseTTL: 3s
  heartbeatInterval: 1s
  stallTimeout: 5m
storage:
  default:
    name: main
    url: file://%[1]s/repo
    keyFile: %[1]s/repo.key
scheduler:
  tick: 1s
log:
  level: info
`, c.dir, c.dsn, c.httpAddr, c.grpcAddr)
	if err := os.WriteFile(filepath.Join(c.dir, "controller.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c.startController()
	return c
}

// startController (re)starts the controller on the same ports and data.
func (c *cluster) startController() {
	c.t.Helper()
	c.starts++
	c.ctl = startProc(c.t, fmt.Sprintf("controller#%d", c.starts), "controller", "--config", filepath.Join(c.dir, "controller.yaml"))
	poll(c.t, 60*time.Second, "controller to answer /healthz", func() bool {
		if c.ctl.exited() {
			c.t.Fatalf("controller exited: %v\n%s", c.ctl.err, c.ctl.out.String())
		}
		resp, err := http.Get("http://" + c.httpAddr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	b, err := os.ReadFile(filepath.Join(c.dir, "admin.token"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.token = strings.TrimSpace(string(b))
}

// agent starts `coffer agent` with a fresh join token (or joinToken when
// given) and its own data directory.
func (c *cluster) agent(name, dataDir, joinToken string) *proc {
	c.t.Helper()
	if joinToken == "" {
		joinToken = c.joinToken(name, 0)
	}
	tf := filepath.Join(c.t.TempDir(), "join.token")
	if err := os.WriteFile(tf, []byte(joinToken), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return startProc(c.t, "agent "+name, "agent", "--controller", c.grpcAddr, "--join-token-file", tf,
		"--data-dir", dataDir, "--name", name)
}

func (c *cluster) joinToken(name string, ttlSeconds int) string {
	c.t.Helper()
	var out struct{ Token string }
	c.must("POST", "/api/agents/join-tokens", map[string]any{"agentName": name, "ttlSeconds": ttlSeconds}).decode(c.t, &out)
	return out.Token
}

// agentID waits until an agent named name is online and returns its ID.
func (c *cluster) agentID(name string) string {
	c.t.Helper()
	id := ""
	poll(c.t, 60*time.Second, "agent "+name+" to be online", func() bool {
		var out struct {
			Agents []struct{ ID, Name, Status string }
		}
		c.must("GET", "/api/agents", nil).decode(c.t, &out)
		for _, a := range out.Agents {
			if a.Name == name && a.Status == "online" {
				id = a.ID
				return true
			}
		}
		return false
	})
	return id
}

// apiResponse is a decoded REST answer.
type apiResponse struct {
	status  int
	raw     string
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func (r apiResponse) field() string {
	if r.Error == nil {
		return ""
	}
	f, _ := r.Error.Details["field"].(string)
	return f
}

func (r apiResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
}

// call sends a REST request with token; body is a string or a JSON value.
func (c *cluster) call(token, method, path string, body any) apiResponse {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, "http://"+c.httpAddr+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := apiResponse{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		c.t.Fatalf("%s %s: HTTP %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return r
}

func (c *cluster) must(method, path string, body any) apiResponse {
	c.t.Helper()
	r := c.call(c.token, method, path, body)
	if r.status != 200 || !r.Success {
		c.t.Fatalf("%s %s: HTTP %d: %s", method, path, r.status, r.raw)
	}
	return r
}

// poll calls f until it reports true; the test fails at the deadline.
func poll(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type backup struct {
	ID, Status, Error, SnapshotID, SourceName, Type, JobID string
	ParentBackup                                           *struct{ ID string }
	Metadata                                               map[string]any
	Progress                                               *struct {
		BytesDone string
	}
}

func (c *cluster) backup(id string) backup {
	c.t.Helper()
	var out struct{ Backup backup }
	c.must("GET", "/api/backups/"+id, nil).decode(c.t, &out)
	return out.Backup
}

// waitBackup polls a backup until it reaches a final status.
func (c *cluster) waitBackup(id string, timeout time.Duration) backup {
	c.t.Helper()
	var b backup
	poll(c.t, timeout, "backup "+id+" to finish", func() bool {
		b = c.backup(id)
		return b.Status == "completed" || b.Status == "failed" || b.Status == "cancelled"
	})
	return b
}

// createBackups starts backups of sources and returns their IDs.
func (c *cluster) createBackups(typ string, sources ...string) []string {
	c.t.Helper()
	var out struct{ Backups []backup }
	c.must("POST", "/api/backups", map[string]any{"type": typ, "databases": sources}).decode(c.t, &out)
	if len(out.Backups) != len(sources) {
		c.t.Fatalf("asked for %d backups, got %d", len(sources), len(out.Backups))
	}
	var ids []string
	for _, b := range out.Backups {
		ids = append(ids, b.ID)
	}
	return ids
}

// restore restores a backup into target and waits for the job.
func (c *cluster) restore(backupID, target string, timeout time.Duration) map[string]any {
	c.t.Helper()
	var out struct{ Job struct{ ID string } }
	c.must("POST", "/api/recovery/restore", map[string]any{"backupId": backupID, "targetPath": target}).decode(c.t, &out)
	var job map[string]any
	poll(c.t, timeout, "restore "+out.Job.ID, func() bool {
		var st struct{ Job map[string]any }
		c.must("GET", "/api/recovery/status/"+out.Job.ID, nil).decode(c.t, &st)
		job = st.Job
		s := job["status"]
		return s == "completed" || s == "failed" || s == "cancelled"
	})
	if job["status"] != "completed" {
		c.t.Fatalf("restore %s: %v", out.Job.ID, job)
	}
	return job
}

// sparseFile makes a large file that takes the agent a while to read
// (every byte is read, hashed and chunked) but costs no disk space.
func sparseFile(t *testing.T, dir string, size int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "big.sparse"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
