package api_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
)

// fixture is a controller with a storage location, an enrolled (not
// connected) agent and a files source.
type fixture struct {
	c       *ct.Controller
	agentID string
	source  string
}

func setup(t *testing.T) fixture {
	t.Helper()
	c := ct.Start(t)
	repoDir := filepath.Join(t.TempDir(), "repo")
	c.MustDo(t, "POST", "/api/storage-locations", map[string]any{"name": "main", "url": "file://" + repoDir, "isDefault": true})
	id, _ := c.Enroll(t, "db1")
	c.MustDo(t, "POST", "/api/sources", map[string]any{
		"name": "files1", "type": "files", "config": map[string]any{"paths": []string{t.TempDir()}},
	})
	return fixture{c: c, agentID: id, source: "files1"}
}

func TestNoTokenIsUnauthenticated(t *testing.T) {
	t.Parallel()
	c := ct.Start(t)
	for _, tok := range []string{"", "cft1_not-a-real-token"} {
		r := c.DoToken(t, tok, "GET", "/api/backups", nil)
		if r.Status != http.StatusUnauthorized || r.Success || r.Error == nil || r.Error.Code != "UNAUTHENTICATED" {
			t.Errorf("token %q: status %d body %s, want 401 UNAUTHENTICATED", tok, r.Status, r.Raw)
		}
	}
}

func TestBadInputNamesTheField(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"malformed JSON", "POST", "/api/backups", `{"databases": [`, 400, "body"},
		{"wrong JSON type", "POST", "/api/backups", `{"databases": 5}`, 400, "databases"},
		{"unknown JSON field", "POST", "/api/sources", `{"name":"x","type":"files","colour":"red"}`, 400, "colour"},
		{"unknown source", "POST", "/api/backups", map[string]any{"databases": []string{"nope"}}, 400, "databases[0]"},
		{"no sources", "POST", "/api/backups", map[string]any{"type": "full"}, 400, "databases"},
		{"bad backup type", "POST", "/api/backups", map[string]any{"type": "weekly", "databases": []string{"files1"}}, 400, "type"},
		{"encryption off", "POST", "/api/backups", map[string]any{"databases": []string{"files1"}, "encryption": false}, 400, "encryption"},
		{"unknown backup id", "GET", "/api/backups/0b5e1c4e-0000-4000-8000-000000000000", nil, 404, "id"},
		{"unknown backup id (not a UUID)", "GET", "/api/backups/no-such-backup", nil, 404, "id"},
		{"delete unknown backup", "DELETE", "/api/backups/nope", nil, 404, "id"},
		{"bad limit", "GET", "/api/backups?limit=abc", nil, 400, "limit"},
		{"limit too large", "GET", "/api/backups?limit=100000", nil, 400, "limit"},
		{"bad status filter", "GET", "/api/backups?status=sleeping", nil, 400, "status"},
		{"bad date", "GET", "/api/backups?startDate=yesterday", nil, 400, "startDate"},
		{"invalid cron", "POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "61 * * * *", "sources": []string{"files1"}}, 400, "cronExpression"},
		{"invalid time zone", "POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 3 * * *", "timezone": "Mars/Olympus", "sources": []string{"files1"}}, 400, "timezone"},
		{"negative retention", "POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 3 * * *", "retentionDays": -1, "sources": []string{"files1"}}, 400, "retentionDays"},
		{"negative keepLast", "POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 3 * * *", "keepLast": -3, "sources": []string{"files1"}}, 400, "keepLast"},
		{"schedule unknown source", "POST", "/api/backup-schedules", map[string]any{"name": "s", "cronExpression": "0 3 * * *", "sources": []string{"nope"}}, 400, "sources"},
		{"restore unknown backup", "POST", "/api/recovery/restore", map[string]any{"backupId": "nope", "targetPath": "/tmp/x"}, 404, "backupId"},
		{"restore no backup", "POST", "/api/recovery/restore", map[string]any{"targetPath": "/tmp/x"}, 400, "backupId"},
		{"unknown recovery job", "GET", "/api/recovery/status/nope", nil, 404, "jobId"},
		{"source relative path", "POST", "/api/sources", map[string]any{"name": "rel", "type": "files", "config": map[string]any{"paths": []string{"data"}}}, 400, "config.paths[0]"},
		{"source password in config", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"password": "x"}}, 400, "config.password"},
		{"postgres physical without dataDir", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"host": "127.0.0.1"}}, 400, "config.dataDir"},
		{"postgres relative dataDir", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"dataDir": "pgdata"}}, 400, "config.dataDir"},
		{"postgres unknown method", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"method": "magic"}}, 400, "config.method"},
		{"postgres unknown setting", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"method": "logical", "hots": "db1"}}, 400, "config.hots"},
		{"postgres port not a number", "POST", "/api/sources", map[string]any{"name": "pg", "type": "postgres", "config": map[string]any{"method": "logical", "port": "5432"}}, 400, "config.port"},
		{"source bad type", "POST", "/api/sources", map[string]any{"name": "x", "type": "oracle"}, 400, "type"},
		{"source duplicate name", "POST", "/api/sources", map[string]any{"name": "files1", "type": "files", "config": map[string]any{"paths": []string{"/srv"}}}, 400, "name"},
		{"location bad scheme", "POST", "/api/storage-locations", map[string]any{"name": "x", "url": "ftp://host/x"}, 400, "url"},
		{"location password in URL", "POST", "/api/storage-locations", map[string]any{"name": "x", "url": "sftp://u:pw@127.0.0.1/x"}, 400, "url"},
		{"location bad bandwidth limit", "POST", "/api/storage-locations", map[string]any{"name": "x", "url": "file:///tmp/x", "options": map[string]any{"uploadBytesPerSecond": "fast"}}, 400, "options"},
		{"join token negative ttl", "POST", "/api/agents/join-tokens", map[string]any{"ttlSeconds": -5}, 400, "ttlSeconds"},
		{"token bad role", "POST", "/api/tokens", map[string]any{"name": "t", "role": "god"}, 400, "role"},
		{"unknown agent", "GET", "/api/agents/nope", nil, 404, "id"},
		{"unknown schedule", "PUT", "/api/backup-schedules/nope", map[string]any{"name": "x"}, 404, "id"},
	}
	for _, tc := range cases {
		r := f.c.Do(t, tc.method, tc.path, tc.body)
		if r.Status != tc.status || r.Success || r.Error == nil {
			t.Errorf("%s: status %d body %s, want %d", tc.name, r.Status, r.Raw, tc.status)
			continue
		}
		if r.Field() != tc.field {
			t.Errorf("%s: details.field %q, want %q (body %s)", tc.name, r.Field(), tc.field, r.Raw)
		}
		if tc.status == 500 || strings.Contains(r.Error.Message, "internal") {
			t.Errorf("%s: internal error for bad input: %s", tc.name, r.Raw)
		}
	}
}

func TestBackupsCreateListGetAndPaginate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var created struct {
		Backups []struct {
			ID, Status, SourceName, Type string
		} `json:"backups"`
	}
	for i := range 5 {
		typ := "full"
		if i%2 == 1 {
			typ = "incremental"
		}
		f.c.MustDo(t, "POST", "/api/backups", map[string]any{"type": typ, "databases": []string{"files1"}}).Decode(t, &created)
		if len(created.Backups) != 1 || created.Backups[0].Status != "pending" || created.Backups[0].SourceName != "files1" {
			t.Fatalf("created %+v", created)
		}
	}
	var list struct {
		Backups    []map[string]any `json:"backups"`
		Pagination struct{ Page, Limit, Total, TotalPages int }
	}
	f.c.MustDo(t, "GET", "/api/backups?limit=2&page=2", nil).Decode(t, &list)
	if len(list.Backups) != 2 || list.Pagination.Total != 5 || list.Pagination.TotalPages != 3 || list.Pagination.Page != 2 {
		t.Fatalf("page 2 of 2: %d backups, pagination %+v", len(list.Backups), list.Pagination)
	}
	f.c.MustDo(t, "GET", "/api/backups?type=incremental&source=files1&status=pending", nil).Decode(t, &list)
	if list.Pagination.Total != 2 {
		t.Fatalf("incremental filter: total %d, want 2", list.Pagination.Total)
	}
	id := created.Backups[0].ID
	var got struct {
		Backup map[string]any `json:"backup"`
	}
	f.c.MustDo(t, "GET", "/api/backups/"+id, nil).Decode(t, &got)
	for _, k := range []string{"id", "sourceName", "parentBackup", "metadata", "createdAt", "status"} {
		if _, ok := got.Backup[k]; !ok && k != "parentBackup" && k != "metadata" {
			t.Errorf("GET /api/backups/{id} lacks %q: %v", k, got.Backup)
		}
	}
	// Idempotency-Key: a repeated create returns the first backups.
	body := map[string]any{"databases": []string{"files1"}, "idempotencyKey": "k1"}
	var a, b struct {
		Backups []struct{ ID string } `json:"backups"`
	}
	f.c.MustDo(t, "POST", "/api/backups", body).Decode(t, &a)
	f.c.MustDo(t, "POST", "/api/backups", body).Decode(t, &b)
	if a.Backups[0].ID != b.Backups[0].ID {
		t.Fatalf("idempotent create made two backups: %s, %s", a.Backups[0].ID, b.Backups[0].ID)
	}
}

func TestSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const secret = "s3cr3t-Value-!"
	r := f.c.MustDo(t, "POST", "/api/sources", map[string]any{
		"name": "pg1", "type": "postgres", "config": map[string]any{"host": "127.0.0.1", "method": "logical"}, "secrets": map[string]string{"password": secret},
	})
	var loc struct {
		StorageLocation struct{ ID string } `json:"storageLocation"`
	}
	r2 := f.c.MustDo(t, "POST", "/api/storage-locations", map[string]any{
		"name": "s3ish", "url": "file://" + filepath.Join(t.TempDir(), "r2"), "credentials": map[string]string{"secretAccessKey": secret},
	})
	r2.Decode(t, &loc)
	all := r.Raw + r2.Raw
	for _, p := range []string{"/api/sources", "/api/sources/pg1", "/api/storage-locations", "/api/storage-locations/" + loc.StorageLocation.ID} {
		all += f.c.MustDo(t, "GET", p, nil).Raw
	}
	if strings.Contains(all, secret) {
		t.Fatalf("a secret appears in an API response")
	}
	if !strings.Contains(r.Raw, `"secretKeys":["password"]`) {
		t.Errorf("source response does not name its secret keys: %s", r.Raw)
	}
	if strings.Contains(f.c.Logs(), secret) {
		t.Fatalf("a secret appears in the controller log")
	}
}

func TestRolesDenyByDefault(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tokens := map[string]string{}
	for _, role := range []string{"operator", "auditor", "restorer"} {
		var out struct{ Token string }
		f.c.MustDo(t, "POST", "/api/tokens", map[string]any{"name": role, "role": role}).Decode(t, &out)
		tokens[role] = out.Token
	}
	var created struct {
		Backups []struct{ ID string }
	}
	f.c.MustDo(t, "POST", "/api/backups", map[string]any{"databases": []string{"files1"}}).Decode(t, &created)
	id := created.Backups[0].ID
	cases := []struct {
		role, method, path string
		body               any
		want               int
	}{
		{"auditor", "GET", "/api/backups", nil, 200},
		{"auditor", "POST", "/api/backups", map[string]any{"databases": []string{"files1"}}, 403},
		{"operator", "POST", "/api/backups", map[string]any{"databases": []string{"files1"}}, 200},
		{"operator", "DELETE", "/api/backups/" + id, nil, 403},
		{"operator", "POST", "/api/recovery/restore", map[string]any{"backupId": id, "targetPath": "/tmp/x"}, 403},
		{"restorer", "POST", "/api/tokens", map[string]any{"name": "x", "role": "admin"}, 403},
		{"operator", "POST", "/api/agents/join-tokens", map[string]any{}, 403},
		{"auditor", "GET", "/api/tokens", nil, 403},
	}
	for _, tc := range cases {
		r := f.c.DoToken(t, tokens[tc.role], tc.method, tc.path, tc.body)
		if r.Status != tc.want {
			t.Errorf("%s %s %s: status %d, want %d (%s)", tc.role, tc.method, tc.path, r.Status, tc.want, r.Raw)
		}
	}
	// A revoked token stops working at once.
	var list struct {
		Tokens []struct{ ID, Name string }
	}
	f.c.MustDo(t, "GET", "/api/tokens", nil).Decode(t, &list)
	for _, tk := range list.Tokens {
		if tk.Name == "auditor" {
			f.c.MustDo(t, "DELETE", "/api/tokens/"+tk.ID, nil)
		}
	}
	if r := f.c.DoToken(t, tokens["auditor"], "GET", "/api/backups", nil); r.Status != 401 {
		t.Fatalf("revoked token: status %d", r.Status)
	}
}

func TestScheduleNextRunAndUpdate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var out struct {
		Schedule struct {
			ID, NextRun, Timezone string
			Enabled               bool
		}
	}
	f.c.MustDo(t, "POST", "/api/backup-schedules", map[string]any{
		"name": "nightly", "cronExpression": "30 2 * * *", "timezone": "Europe/Berlin", "sources": []string{"files1"}, "keepLast": 7,
	}).Decode(t, &out)
	if out.Schedule.NextRun == "" || !out.Schedule.Enabled {
		t.Fatalf("schedule: %+v", out.Schedule)
	}
	out.Schedule.NextRun = "" // absent from the answer when disabled
	f.c.MustDo(t, "PUT", "/api/backup-schedules/"+out.Schedule.ID, map[string]any{"enabled": false}).Decode(t, &out)
	if out.Schedule.NextRun != "" {
		t.Fatalf("disabled schedule still has nextRun %s", out.Schedule.NextRun)
	}
	r := f.c.Do(t, "DELETE", "/api/sources/files1", nil)
	if r.Status != 400 || !strings.Contains(r.Error.Message, "nightly") {
		t.Fatalf("deleting a source a schedule uses: %d %s", r.Status, r.Raw)
	}
	f.c.MustDo(t, "DELETE", "/api/backup-schedules/"+out.Schedule.ID, nil)
	f.c.MustDo(t, "DELETE", "/api/sources/files1", nil)
}

// status is computed per agent, so a status filter lists every agent,
// filters, and pages the matches.
func TestListAgentsByStatusPagesTheMatches(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.c.Enroll(t, "db2")
	revoked, _ := f.c.Enroll(t, "db3")
	f.c.MustDo(t, "POST", "/api/agents/"+revoked+"/revoke", map[string]any{"reason": "test"})
	var list struct {
		Agents     []struct{ ID, Name, Status string }
		Pagination struct{ Page, Limit, Total, TotalPages int }
	}
	f.c.MustDo(t, "GET", "/api/agents?status=revoked", nil).Decode(t, &list)
	if len(list.Agents) != 1 || list.Agents[0].ID != revoked || list.Pagination.Total != 1 {
		t.Fatalf("revoked: %+v, pagination %+v; want only %s", list.Agents, list.Pagination, revoked)
	}
	seen := map[string]bool{}
	for page := 1; page <= 2; page++ {
		f.c.MustDo(t, "GET", fmt.Sprintf("/api/agents?status=offline&limit=1&page=%d", page), nil).Decode(t, &list)
		if len(list.Agents) != 1 || list.Agents[0].Status != "offline" || list.Pagination.Total != 2 || list.Pagination.TotalPages != 2 || list.Pagination.Page != page {
			t.Fatalf("offline page %d: %+v, pagination %+v; want 1 of 2 offline agents", page, list.Agents, list.Pagination)
		}
		seen[list.Agents[0].Name] = true
	}
	if !seen["db1"] || !seen["db2"] {
		t.Fatalf("offline pages gave %v, want db1 and db2", seen)
	}
	f.c.MustDo(t, "GET", "/api/agents?status=offline&limit=1&page=3", nil).Decode(t, &list)
	if len(list.Agents) != 0 || list.Pagination.Total != 2 {
		t.Fatalf("offline page 3: %+v, pagination %+v; want none of 2", list.Agents, list.Pagination)
	}
}
