package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage/testserver"
	"github.com/cofferhq/coffer/internal/treetest"
)

// coffer is the binary under test, built once by TestMain.
var coffer string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coffer-e2e")
	if err != nil {
		panic(err)
	}
	coffer = filepath.Join(dir, "coffer")
	out, err := exec.Command("go", "build", "-race", "-o", coffer, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build coffer: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testserver.Main(m) // stops the storage servers some tests start
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(coffer, args...)
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, so.String(), se.String()}
}

func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := run(t, env, args...)
	if r.code != 0 {
		t.Fatalf("coffer %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// newRepo initialises a repository with a fresh key file and returns the
// flags that name both.
func newRepo(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	flags := []string{"--repo", filepath.Join(dir, "repo"), "--key-file", filepath.Join(dir, "key")}
	mustRun(t, nil, append([]string{"repo", "init"}, flags...)...)
	return flags
}

func repoCmd(flags []string, args ...string) []string {
	return append(append([]string{"repo", args[0]}, flags...), args[1:]...)
}

type snapshotJSON struct {
	ID    string    `json:"id"`
	Time  time.Time `json:"time"`
	Paths []string  `json:"paths"`
}

func snapshots(t *testing.T, flags []string) []snapshotJSON {
	t.Helper()
	r := mustRun(t, nil, repoCmd(flags, "snapshots", "--json")...)
	var out []snapshotJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("snapshots --json: %v\n%s", err, r.stdout)
	}
	return out
}

func TestBackupSnapshotsRestoreVerify(t *testing.T) {
	t.Parallel()
	flags := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 50, BigFiles: 1, BigSize: 9 << 20, Depth: 4, Seed: 10})
	r := mustRun(t, nil, repoCmd(flags, "backup", src, "--exclude", "*.nope", "--json")...)
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("backup --json printed a non-JSON line %q", line)
		}
		if m["messageType"] == "summary" {
			summary = m
		}
	}
	if summary == nil || summary["snapshotId"] == "" {
		t.Fatalf("no summary line in %s", r.stdout)
	}
	list := snapshots(t, flags)
	if len(list) != 1 || list[0].ID != summary["snapshotId"] || len(list[0].Paths) != 1 || list[0].Paths[0] != src {
		t.Fatalf("snapshots --json = %+v, want one snapshot of %s with id %v", list, src, summary["snapshotId"])
	}
	mustRun(t, nil, repoCmd(flags, "verify", "--read-data")...)
	mustRun(t, nil, repoCmd(flags, "verify", "--read-data-subset", "50%")...)
	target := t.TempDir()
	mustRun(t, nil, repoCmd(flags, "restore", list[0].ID[:8], "--target", target)...)
	treetest.Compare(t, src, filepath.Join(target, src))

	one := filepath.Join(src, "small", "f0003.txt")
	target2 := t.TempDir()
	mustRun(t, nil, repoCmd(flags, "restore", "latest", "--target", target2, "--include", one)...)
	if a, b := readFile(t, one), readFile(t, filepath.Join(target2, one)); !bytes.Equal(a, b) {
		t.Fatal("single-path restore differs")
	}
}

func TestPassphraseAndKeySlots(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	pass := []string{"COFFER_PASSPHRASE=correct horse battery staple"}
	mustRun(t, pass, "repo", "init", "--repo", repoDir)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 3, Seed: 11})
	mustRun(t, pass, "repo", "backup", "--repo", repoDir, src)

	wrong := run(t, []string{"COFFER_PASSPHRASE=wrong"}, "repo", "snapshots", "--repo", repoDir)
	if wrong.code != 12 || !strings.Contains(wrong.stderr, "wrong key") {
		t.Fatalf("wrong passphrase: exit %d, stderr %q; want 12 and 'wrong key'", wrong.code, wrong.stderr)
	}
	keyFile := filepath.Join(dir, "second.key")
	mustRun(t, pass, "repo", "key", "add", "--repo", repoDir, "--new-key-file", keyFile, "--label", "second")
	if n := len(snapshots(t, []string{"--repo", repoDir, "--key-file", keyFile})); n != 1 {
		t.Fatalf("second key sees %d snapshots, want 1", n)
	}
	list := mustRun(t, pass, "repo", "key", "list", "--repo", repoDir, "--json")
	var keys []struct {
		ID      string
		Label   string
		Current bool
	}
	if err := json.Unmarshal([]byte(list.stdout), &keys); err != nil || len(keys) != 2 {
		t.Fatalf("key list --json: %v, %s", err, list.stdout)
	}
	var passSlot string
	for _, k := range keys {
		if k.Current {
			passSlot = k.ID
		}
	}
	// The passphrase's own slot cannot be removed while in use; from the key file it can.
	if r := run(t, pass, "repo", "key", "remove", "--repo", repoDir, passSlot); r.code == 0 {
		t.Fatal("removing the slot in use succeeded")
	}
	mustRun(t, nil, "repo", "key", "remove", "--repo", repoDir, "--key-file", keyFile, passSlot)
	if r := run(t, pass, "repo", "snapshots", "--repo", repoDir); r.code != 12 {
		t.Fatalf("removed passphrase still opens the repository (exit %d)", r.code)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if r := run(t, nil, "repo", "snapshots", "--repo", filepath.Join(dir, "nothing"), "--key-file", key); r.code != 10 {
		t.Errorf("missing repository: exit %d (%s), want 10", r.code, r.stderr)
	}
	if r := run(t, nil, "repo", "snapshots", "--key-file", key); r.code != 2 {
		t.Errorf("no --repo: exit %d, want 2", r.code)
	}
	if r := run(t, nil, "repo", "verify", "--repo", dir, "--key-file", key, "--read-data-subset", "150%"); r.code != 2 {
		t.Errorf("bad subset: exit %d, want 2", r.code)
	}
	flags := newRepo(t)
	// A repository written by a newer format version is refused by name.
	cfgPath := filepath.Join(flags[1], "config")
	cfg := readFile(t, cfgPath)
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		t.Fatalf("config is not JSON: %v", err)
	}
	m["version"] = 99
	newer, _ := json.Marshal(m)
	os.Chmod(cfgPath, 0o600)
	if err := os.WriteFile(cfgPath, newer, 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, repoCmd(flags, "snapshots")...)
	if r.code != 11 {
		t.Errorf("newer format: exit %d (%s), want 11", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "version 99") {
		t.Errorf("newer format error does not name the version: %s", r.stderr)
	}
}

// Flipping one byte in any stored object must make verify --read-data name
// that object and exit 13, and make a restore fail.
func TestTamperEachObjectKind(t *testing.T) {
	t.Parallel()
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 10, BigFiles: 1, BigSize: 2 << 20, Seed: 12})
	for _, kind := range []string{"data/", "index/", "snapshots/", "keys/"} {
		t.Run(strings.TrimSuffix(kind, "/"), func(t *testing.T) {
			t.Parallel()
			flags := newRepo(t)
			mustRun(t, nil, repoCmd(flags, "backup", src)...)
			victim := firstFile(t, filepath.Join(flags[1], kind))
			flip(t, victim)
			name, _ := filepath.Rel(flags[1], victim)
			r := run(t, nil, repoCmd(flags, "verify", "--read-data")...)
			if kind == "keys/" {
				// The only key slot is damaged: the repository cannot be opened.
				if r.code != 12 && r.code != 13 {
					t.Fatalf("damaged key slot: exit %d, want 12 or 13\n%s", r.code, r.stderr)
				}
				return
			}
			if r.code != 13 {
				t.Fatalf("verify after flipping a byte in %s: exit %d, want 13\nstdout: %s\nstderr: %s", name, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout+r.stderr, name) {
				t.Fatalf("verify output does not name %s:\n%s%s", name, r.stdout, r.stderr)
			}
			rr := run(t, nil, repoCmd(flags, "restore", "latest", "--target", t.TempDir())...)
			if rr.code == 0 && kind != "index/" {
				t.Fatalf("restore after damaging %s succeeded", name)
			}
		})
	}
}

// A backup killed with SIGKILL mid-way leaves a repository that verifies
// and accepts the next backup.
func TestKilledBackupLeavesUsableRepository(t *testing.T) {
	t.Parallel()
	flags := newRepo(t)
	src := treetest.Generate(t, t.TempDir(), treetest.Spec{SmallFiles: 10, BigFiles: 8, BigSize: 24 << 20, Seed: 13})
	cmd := exec.Command(coffer, repoCmd(flags, "backup", src, "--json")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once at least one pack has reached storage.
	deadline := time.Now().Add(60 * time.Second)
	for !hasFile(filepath.Join(flags[1], "data")) {
		if time.Now().After(deadline) {
			t.Fatal("no pack written within 60s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_, _ = io.Copy(io.Discard, stdout)
	_ = cmd.Wait()
	if n := len(snapshots(t, flags)); n != 0 {
		t.Fatalf("killed backup left %d snapshots, want 0", n)
	}
	mustRun(t, nil, repoCmd(flags, "verify", "--read-data")...)
	mustRun(t, nil, repoCmd(flags, "backup", src)...)
	mustRun(t, nil, repoCmd(flags, "verify", "--read-data")...)
	target := t.TempDir()
	mustRun(t, nil, repoCmd(flags, "restore", "latest", "--target", target)...)
	treetest.Compare(t, src, filepath.Join(target, src))
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firstFile(t *testing.T, dir string) string {
	t.Helper()
	var found string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && found == "" {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no file under %s", dir)
	}
	return found
}

func hasFile(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

func flip(t *testing.T, p string) {
	t.Helper()
	b := readFile(t, p)
	b[len(b)/2] ^= 0x01
	_ = os.Chmod(p, 0o600)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
