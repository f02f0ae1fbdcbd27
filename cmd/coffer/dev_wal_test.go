package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `coffer dev` serves the agent's WAL socket at DIR/agent.sock: wal-push
// goes through it, and the agent's report reaches the controller, which
// serves it at GET /api/sources/{id}/wal.
func TestDevModeWALSocket(t *testing.T) {
	t.Parallel()
	d := startDev(t)
	dir, env := d.dir, d.env
	sock := filepath.Join(dir, "agent.sock")
	poll(t, time.Minute, "coffer dev to name its WAL socket", func() bool {
		return strings.Contains(d.proc.out.String(), sock)
	})
	mustRun(t, env, "source", "create", "--name", "main", "--type", "postgres", "--set", "host=127.0.0.1", "--set", "method=logical")

	history := filepath.Join(t.TempDir(), "00000002.history")
	if err := os.WriteFile(history, []byte("1\t0/3000158\tno recovery target specified\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	push := mustRun(t, nil, "wal-push", "-v", "--agent-socket", sock, "--source", "main",
		"--repo", filepath.Join(dir, "repo"), "--key-file", filepath.Join(dir, "repo.key"), history)
	if !strings.Contains(push.stderr, "via the agent") {
		t.Fatalf("wal-push did not go through the agent: %s", push.stderr)
	}

	var wal struct {
		ReportedAt string
		Timelines  []struct {
			Timeline       int
			History        bool
			ParentTimeline int
		}
	}
	poll(t, time.Minute, "the agent's WAL report to reach the API", func() bool {
		req, _ := http.NewRequest("GET", "http://"+d.httpAddr+"/api/sources/main/wal", nil)
		req.Header.Set("Authorization", "Bearer "+d.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ Data json.RawMessage }
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/sources/main/wal: %d %v", res.StatusCode, err)
		}
		if err := json.Unmarshal(body.Data, &wal); err != nil {
			t.Fatal(err)
		}
		return wal.ReportedAt != ""
	})
	if len(wal.Timelines) != 1 || wal.Timelines[0].Timeline != 2 || !wal.Timelines[0].History || wal.Timelines[0].ParentTimeline != 1 {
		t.Fatalf("reported %+v", wal)
	}
}
