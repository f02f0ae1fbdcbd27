package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type storageTestOutput struct {
	OK      bool
	AgentID string
	Steps   []struct {
		Name, Error string
		OK          bool
	}
}

// `coffer storage test` against `coffer dev`: its agent writes, lists,
// reads and deletes in a good location, and fails the write step in a
// location whose directory became a file.
func TestStorageTestWithDevAgent(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	dir, env := d.dir, d.env

	var list struct{ StorageLocations []struct{ ID, URL string } }
	decodeJSON(t, mustRun(t, env, "storage", "list", "--json").stdout, &list)
	if len(list.StorageLocations) != 1 {
		t.Fatalf("storage list: %+v", list)
	}
	good := list.StorageLocations[0]
	res := mustRun(t, env, "storage", "test", good.ID)
	for _, step := range []string{"write", "list", "read", "delete"} {
		if !strings.Contains(res.stdout, step+"  ") {
			t.Fatalf("storage test output lacks step %s:\n%s", step, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "FAILED") {
		t.Fatalf("storage test of the dev location failed:\n%s", res.stdout)
	}
	var out storageTestOutput
	decodeJSON(t, mustRun(t, env, "storage", "test", good.ID, "--json").stdout, &out)
	if !out.OK || len(out.Steps) != 4 || out.AgentID == "" {
		t.Fatalf("storage test --json: %+v", out)
	}
	left, _ := os.ReadDir(filepath.Join(dir, "repo", "coffer-test"))
	if len(left) != 0 {
		t.Fatalf("storage test left objects behind: %v", left)
	}

	// A second location, whose directory is then replaced by a file.
	badDir := filepath.Join(t.TempDir(), "bad")
	created := apiCall(t, d.httpAddr, d.token, "POST", "/api/storage-locations", map[string]any{"name": "bad", "url": "file://" + badDir})
	var loc struct{ StorageLocation struct{ ID string } }
	if err := json.Unmarshal(created, &loc); err != nil || loc.StorageLocation.ID == "" {
		t.Fatalf("create location: %s", created)
	}
	if err := os.RemoveAll(badDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badDir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("good location:\n%s", res.stdout)
	bad := run(t, env, "storage", "test", loc.StorageLocation.ID, "--agent", out.AgentID, "--json")
	t.Logf("bad location: exit %d\n%s%s", bad.code, bad.stdout, bad.stderr)
	if bad.code == 0 {
		t.Fatalf("storage test of a broken location exited 0:\n%s", bad.stdout)
	}
	out = storageTestOutput{}
	decodeJSON(t, bad.stdout, &out)
	if out.OK || len(out.Steps) != 1 || out.Steps[0].Name != "write" || out.Steps[0].OK ||
		!strings.Contains(out.Steps[0].Error, badDir) || !strings.Contains(out.Steps[0].Error, "not a directory") {
		t.Fatalf("storage test of a broken location: %+v", out)
	}
	if !strings.Contains(bad.stderr, "failed the test") {
		t.Fatalf("stderr does not say the test failed: %s", bad.stderr)
	}
}

// apiCall calls the REST API and returns its data.
func apiCall(t *testing.T, addr, token, method, path string, body any) json.RawMessage {
	t.Helper()
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool
		Data    json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || !env.Success {
		t.Fatalf("%s %s: status %d, success %v, %v", method, path, resp.StatusCode, env.Success, err)
	}
	return env.Data
}
