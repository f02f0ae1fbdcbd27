package controllertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/controller/server"
)

// Controller is a running controller.
type Controller struct {
	S     *server.Server
	URL   string // http://127.0.0.1:port
	Token string // admin token
	Dir   string
	stop  context.CancelFunc
	done  chan error
	logs  testWriter
}

// Start runs a controller until the test ends; edit adjusts its config.
func Start(t testing.TB, edit ...func(*server.Config)) *Controller {
	t.Helper()
	dir := t.TempDir()
	cfg := server.Defaults()
	cfg.DataDir = dir
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.GRPC.Addr = "127.0.0.1:0"
	cfg.AdminTokenFile = filepath.Join(dir, "admin.token")
	cfg.Agents.HeartbeatInterval = time.Second
	cfg.Scheduler.Disabled = true
	for _, e := range edit {
		e(&cfg)
	}
	return StartConfig(t, cfg)
}

// StartConfig runs a controller with cfg until the test ends.
func StartConfig(t testing.TB, cfg server.Config) *Controller {
	t.Helper()
	level := slog.LevelInfo
	if os.Getenv("COFFER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	tw := testWriter{t: t, mu: &sync.Mutex{}, buf: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(tw, &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg, "test", log)
	if err != nil {
		cancel()
		t.Fatalf("start controller: %v", err)
	}
	c := &Controller{S: s, URL: "http://" + s.HTTPAddr(), Dir: cfg.DataDir, stop: cancel, done: make(chan error, 1), logs: tw}
	if b, err := os.ReadFile(cfg.AdminTokenFile); err == nil {
		c.Token = strings.TrimSpace(string(b))
	}
	go func() { c.done <- s.Run(ctx) }()
	t.Cleanup(c.Stop)
	return c
}

// Stop stops the controller (idempotent).
func (c *Controller) Stop() {
	if c.stop == nil {
		return
	}
	c.stop()
	c.stop = nil
	<-c.done
	c.S.Close()
}

// testWriter logs to the test and keeps everything logged, so tests can
// check that no secret reached the log.
type testWriter struct {
	t   testing.TB
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Logs returns everything the controller logged.
func (c *Controller) Logs() string {
	c.logs.mu.Lock()
	defer c.logs.mu.Unlock()
	return c.logs.buf.String()
}

// Response is a decoded API answer.
type Response struct {
	Status  int
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
	Raw string
}

// Field is the field an error names.
func (r Response) Field() string {
	if r.Error == nil {
		return ""
	}
	f, _ := r.Error.Details["field"].(string)
	return f
}

// Decode unmarshals data into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
}

// Do calls the REST API with the admin token. body may be a string (sent
// as is) or a value (JSON-encoded).
func (c *Controller) Do(t testing.TB, method, path string, body any) Response {
	t.Helper()
	return c.DoToken(t, c.Token, method, path, body)
}

// DoToken calls the REST API with token ("" sends none).
func (c *Controller) DoToken(t testing.TB, token, method, path string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := Response{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return r
}

// MustDo is Do that fails the test unless the call succeeded.
func (c *Controller) MustDo(t testing.TB, method, path string, body any) Response {
	t.Helper()
	r := c.Do(t, method, path, body)
	if r.Status != http.StatusOK || !r.Success {
		t.Fatalf("%s %s: status %d: %s", method, path, r.Status, r.Raw)
	}
	return r
}

// Poll calls f until it returns true or the deadline passes.
func Poll(t testing.TB, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Path joins a path with query parameters.
func Path(p string, kv ...string) string {
	if len(kv) == 0 {
		return p
	}
	var q []string
	for i := 0; i+1 < len(kv); i += 2 {
		q = append(q, fmt.Sprintf("%s=%s", kv[i], kv[i+1]))
	}
	return p + "?" + strings.Join(q, "&")
}
