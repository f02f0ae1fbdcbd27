package postgres

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// binDir is where the client tools for a server major version live.
func (s *Source) binDir(serverMajor int) string {
	if s.cfg.BinDir != "" {
		return s.cfg.BinDir
	}
	return fmt.Sprintf("/usr/lib/postgresql/%d/bin", serverMajor)
}

var toolVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// toolMajor runs "tool --version" and returns its major version.
func toolMajor(ctx context.Context, path string) (int, string, error) {
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return 0, "", fmt.Errorf("%s --version: %w", path, err)
	}
	m := toolVersionRE.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("%s --version printed %q", path, bytes.TrimSpace(out))
	}
	major, _ := strconv.Atoi(string(m[1]))
	return major, string(bytes.TrimSpace(out)), nil
}

// toolEnv is the environment of a client tool (pg_dump, pg_restore,
// pg_dumpall, psql): connection settings in PG* variables and the password
// in a private passfile, never on the command line or in PGPASSWORD. The
// returned cleanup removes the passfile.
func (s *Source) toolEnv(dir string) ([]string, func(), error) {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"PGHOST="+s.cfg.Host,
		"PGPORT="+strconv.Itoa(s.cfg.Port),
		"PGUSER="+s.cfg.User,
		"PGAPPNAME=coffer "+s.cfg.Name,
		"PGCONNECT_TIMEOUT=30",
	)
	if s.cfg.SSLMode != "" {
		env = append(env, "PGSSLMODE="+s.cfg.SSLMode)
	}
	cleanup := func() {}
	switch {
	case s.password != "":
		f, err := os.CreateTemp(dir, ".coffer-pgpass-*")
		if err != nil {
			return nil, nil, fmt.Errorf("create passfile: %w", err)
		}
		_, err = fmt.Fprintf(f, "*:*:*:*:%s\n", passfileEscape(s.password))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
			return nil, nil, fmt.Errorf("write passfile: %w", err)
		}
		env = append(env, "PGPASSFILE="+f.Name())
		cleanup = func() { os.Remove(f.Name()) }
	case s.cfg.Passfile != "":
		env = append(env, "PGPASSFILE="+s.cfg.Passfile)
	}
	return env, cleanup, nil
}

func passfileEscape(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	return strings.ReplaceAll(v, `:`, `\:`)
}

// tailBuffer keeps the last max bytes written to it: a child's stderr for
// error messages, bounded whatever the child prints.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// toolCommand builds a command for a client tool in binDir.
func toolCommand(ctx context.Context, binDir, tool string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, tool), args...)
	cmd.Env = env
	return cmd
}
