package testserver

import (
	"os"
	"sync"
	"testing"
)

// Main runs the tests and then stops the shared servers they started.
// Use it as: func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for _, s := range shared {
		if s.stop != nil {
			s.stop()
		}
	}
	return code
}

// sharedServer is one server kind started at most once per test binary.
type sharedServer struct {
	once   sync.Once
	server any
	err    error
	stop   func()
}

var (
	sharedMu sync.Mutex
	shared   = map[string]*sharedServer{}
)

// startShared runs start once per kind and returns its server; a failed start
// fails (or, with COFFER_ALLOW_SKIP=1, skips) every test that asks for it.
func startShared[S any](t testing.TB, kind string, start func(dir string) (S, func(), error)) S {
	t.Helper()
	sharedMu.Lock()
	s, ok := shared[kind]
	if !ok {
		s = &sharedServer{}
		shared[kind] = s
	}
	sharedMu.Unlock()
	s.once.Do(func() {
		dir, err := os.MkdirTemp("", "coffer-"+kind+"-")
		if err != nil {
			s.err = err
			return
		}
		srv, stop, err := start(dir)
		if err != nil {
			os.RemoveAll(dir)
			s.err = err
			return
		}
		sharedMu.Lock()
		s.server = srv
		s.stop = func() { stop(); os.RemoveAll(dir) }
		sharedMu.Unlock()
	})
	if s.err != nil {
		fail(t, s.err)
	}
	return s.server.(S)
}
