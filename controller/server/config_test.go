package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigPrecedenceDefaultsFileEnvFlags(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("dataDir: /from/file\nhttp: {addr: file:1}\ngrpc: {addr: file:2}\nagents: {leaseTTL: 7s}\nlog: {level: debug}\n"), 0o600)
	env := map[string]string{"COFFER_HTTP_ADDR": "env:1", "COFFER_GRPC_ADDR": "env:2", "COFFER_LEASE_TTL": "9s"}
	cmd, f := newCommand("test")
	if err := cmd.ParseFlags([]string{"--config", file, "--grpc-addr", "flag:2"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.load(cmd, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case cfg.DataDir != "/from/file": // file over default
		t.Errorf("dataDir %q", cfg.DataDir)
	case cfg.HTTP.Addr != "env:1": // env over file
		t.Errorf("http.addr %q", cfg.HTTP.Addr)
	case cfg.GRPC.Addr != "flag:2": // flag over env
		t.Errorf("grpc.addr %q", cfg.GRPC.Addr)
	case cfg.Agents.LeaseTTL != 9*time.Second:
		t.Errorf("leaseTTL %s", cfg.Agents.LeaseTTL)
	case cfg.Agents.HeartbeatInterval != 10*time.Second: // default kept
		t.Errorf("heartbeat %s", cfg.Agents.HeartbeatInterval)
	case cfg.Log.Level != "debug":
		t.Errorf("log level %q", cfg.Log.Level)
	}
}

func TestConfigRejectsUnknownKeysAndBadValues(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("htp: {addr: x}\n"), 0o600)
	cfg := Defaults()
	if err := cfg.LoadFile(file); err == nil || !strings.Contains(err.Error(), "htp") {
		t.Fatalf("unknown key: %v", err)
	}
	if err := cfg.ApplyEnv(func(k string) string {
		if k == "COFFER_LEASE_TTL" {
			return "soon"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "COFFER_LEASE_TTL") {
		t.Fatalf("bad duration: %v", err)
	}
}

func TestExampleConfigParses(t *testing.T) {
	t.Parallel()
	cfg := Defaults()
	if err := cfg.LoadFile("../../deploy/controller.yaml"); err != nil {
		t.Fatal(err)
	}
	if cfg.GRPC.Addr != "0.0.0.0:7443" || cfg.Agents.StallTimeout != 15*time.Minute || cfg.Storage.Default.URL == "" {
		t.Fatalf("example config read as %+v", cfg)
	}
}
