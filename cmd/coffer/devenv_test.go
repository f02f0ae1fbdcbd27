package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devEnv is a running `coffer dev` and the client environment that
// reaches it.
type devEnv struct {
	dir       string // --data-dir
	httpAddr  string
	tokenFile string
	token     string
	proc      *proc
	env       []string // COFFER_ADDR and COFFER_TOKEN for the client CLI
}

// startDev starts `coffer dev` in a temporary directory and waits until it
// has printed where its API and admin token are and its agent is online.
func startDev(t *testing.T) devEnv {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".coffer")
	httpAddr := freePort(t)
	dev := startProc(t, "coffer dev", "dev", "--data-dir", dir, "--http-addr", httpAddr, "--grpc-addr", freePort(t))
	tokenFile := filepath.Join(dir, "admin.token")
	poll(t, time.Minute, "coffer dev to print where things are", func() bool {
		if dev.exited() {
			t.Fatalf("coffer dev exited: %s", dev.out.String())
		}
		return strings.Contains(dev.out.String(), "http://"+httpAddr+"/api") && strings.Contains(dev.out.String(), tokenFile)
	})
	raw, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(raw))
	env := []string{"COFFER_ADDR=http://" + httpAddr, "COFFER_TOKEN=" + token}
	poll(t, time.Minute, "the dev agent to be online", func() bool {
		return strings.Contains(run(t, env, "agent", "list").stdout, "online")
	})
	return devEnv{dir: dir, httpAddr: httpAddr, tokenFile: tokenFile, token: token, proc: dev, env: env}
}
