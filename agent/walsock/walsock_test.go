package walsock_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/walsock"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/local"
)

// testRepo is a local repository and its key file's contents.
type testRepo struct {
	dir string
	key []byte
	r   *repo.Repository
}

func newRepo(t *testing.T) testRepo {
	t.Helper()
	base := t.TempDir()
	dir, keyFile := filepath.Join(base, "repo"), filepath.Join(base, "key")
	be, err := local.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	kek, err := repo.NewKeyFileKEK(keyFile, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Init(context.Background(), be, kek, repo.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return testRepo{dir: dir, key: key, r: r}
}

func (tr testRepo) spec() *cofferv1.WalRepository {
	return &cofferv1.WalRepository{Url: tr.dir, KeyFile: tr.key}
}

// serve runs a Server on a fresh socket until the test ends.
func serve(t *testing.T, opts walsock.Options) (*walsock.Server, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := walsock.Listen(sock, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := walsock.NewServer(opts)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return srv, sock
}

func dial(t *testing.T, sock string) *walsock.Client {
	t.Helper()
	c, err := walsock.Dial(context.Background(), sock, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const history = "1\t0/3000158\tno recovery target specified\n"

// TestPushAndFetchThroughTheSocket: a pushed file is stored encrypted in
// the repository and fetched back byte for byte; the same file again is
// accepted without writing, different bytes under its name are refused
// with the repository's conflict error, a missing file is "not found"
// and a wrong key is "wrong key", as on the direct path.
func TestPushAndFetchThroughTheSocket(t *testing.T) {
	tr := newRepo(t)
	var pushed []walsock.Target
	var mu sync.Mutex
	_, sock := serve(t, walsock.Options{Pushed: func(tg walsock.Target) { mu.Lock(); pushed = append(pushed, tg); mu.Unlock() }})
	c := dial(t, sock)
	ctx := context.Background()

	res, err := c.Push(ctx, &cofferv1.PushWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000002.history", Data: []byte(history)})
	if err != nil || res.GetExisted() || res.GetObject() != "wal/main/00000002/00000002.history" {
		t.Fatalf("first push: %v, %v", res, err)
	}
	var direct bytes.Buffer
	f, _ := repo.ParseLogFile("main", "00000002.history")
	if _, err := tr.r.LoadLogSegment(ctx, f, &direct); err != nil || direct.String() != history {
		t.Fatalf("read directly: %q, %v", direct.String(), err)
	}
	raw, err := os.ReadFile(filepath.Join(tr.dir, "wal", "main", "00000002", "00000002.history"))
	if err != nil || bytes.Contains(raw, []byte("no recovery target")) {
		t.Fatalf("stored object is not encrypted (or missing: %v)", err)
	}

	res, err = c.Push(ctx, &cofferv1.PushWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000002.history", Data: []byte(history)})
	if err != nil || !res.GetExisted() {
		t.Fatalf("second push of the same file: %v, %v", res, err)
	}
	_, err = c.Push(ctx, &cofferv1.PushWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000002.history", Data: []byte(history + "#\n")})
	if !errors.Is(err, repo.ErrLogConflict) {
		t.Fatalf("conflicting push: %v, want %v", err, repo.ErrLogConflict)
	}

	got, err := c.Fetch(ctx, &cofferv1.FetchWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000002.history"})
	if err != nil || string(got) != history {
		t.Fatalf("fetch: %q, %v", got, err)
	}
	_, err = c.Fetch(ctx, &cofferv1.FetchWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000003.history"})
	if !errors.Is(err, repo.ErrLogNotFound) {
		t.Fatalf("fetch of a missing file: %v", err)
	}

	other := newRepo(t)
	wrong := &cofferv1.WalRepository{Url: tr.dir, KeyFile: other.key}
	_, err = c.Fetch(ctx, &cofferv1.FetchWalRequest{Repository: wrong, Stream: "main", Name: "00000002.history"})
	if !errors.Is(err, repo.ErrWrongKey) {
		t.Fatalf("wrong key: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushed) != 2 || pushed[0].Stream != "main" || pushed[0].Location != tr.dir {
		t.Fatalf("pushes reported %+v", pushed)
	}
}

// TestAgentDownAndLost: no socket is ErrAgentDown at once; an agent
// stopping during a push is ErrAgentLost, and the file is then either
// stored whole or not at all.
func TestAgentDownAndLost(t *testing.T) {
	start := time.Now()
	_, err := walsock.Dial(context.Background(), filepath.Join(t.TempDir(), "none.sock"), 5*time.Second)
	if !errors.Is(err, walsock.ErrAgentDown) || time.Since(start) > 3*time.Second {
		t.Fatalf("missing socket: %v after %s", err, time.Since(start))
	}

	tr := newRepo(t)
	entered, release := make(chan struct{}), make(chan struct{})
	srv, sock := serve(t, walsock.Options{BeforeSave: func(string, string) { close(entered); <-release }})
	c := dial(t, sock)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Push(context.Background(), &cofferv1.PushWalRequest{Repository: tr.spec(), Stream: "main", Name: "00000002.history", Data: []byte(history)})
		errc <- err
	}()
	<-entered
	stopped := make(chan struct{})
	go func() { srv.Stop(); close(stopped) }() // waits for the push, then ends it
	err = <-errc
	close(release)
	<-stopped
	if !errors.Is(err, walsock.ErrAgentLost) {
		t.Fatalf("push during shutdown: %v, want %v", err, walsock.ErrAgentLost)
	}
	f, _ := repo.ParseLogFile("main", "00000002.history")
	var buf bytes.Buffer
	if _, err := tr.r.LoadLogSegment(context.Background(), f, &buf); err == nil && buf.String() != history {
		t.Fatalf("a half-written file: %q", buf.String())
	} else if err != nil && !errors.Is(err, repo.ErrLogNotFound) {
		t.Fatalf("after the lost push: %v", err)
	}
}

// TestListenStaleAndLive: a socket file nobody serves is replaced, a live
// one is not, nor a path that is not a socket; the socket is 0660.
func TestListenStaleAndLive(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "sub", "agent.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close() // a crashed agent's leftover
	ln, err := walsock.Listen(sock, "")
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	defer ln.Close()
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode %v, %v; want 0660", fi.Mode(), err)
	}
	if _, err := walsock.Listen(sock, ""); !errors.Is(err, walsock.ErrSocketInUse) {
		t.Fatalf("second listener on a live socket: %v", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := walsock.Listen(file, ""); err == nil {
		t.Fatal("a regular file was replaced by a socket")
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Fatal("the regular file was touched")
	}
}
