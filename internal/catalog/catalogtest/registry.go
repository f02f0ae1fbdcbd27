package catalogtest

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func testSources(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	in := catalog.Source{Name: "files-1", Type: catalog.SourceFiles, AgentID: "agent-1",
		Config:  map[string]any{"paths": []any{"/srv/data", "/etc"}, "exclude": []any{"*.tmp"}},
		Secrets: []byte{0, 1, 2, 0xff}, SecretKeys: []string{"password"}, StorageLocationID: "loc-1",
		IdempotencyKey: "create-files-1"}
	src, created, err := s.CreateSource(ctx, in)
	if err != nil || !created {
		t.Fatalf("CreateSource: created=%v err=%v", created, err)
	}
	want := in
	want.ID, want.CreatedAt, want.UpdatedAt = src.ID, src.CreatedAt, src.UpdatedAt
	deq(t, "created source", src, want)
	deq(t, "by id", must(s.GetSource(ctx, src.ID))(t), want)
	deq(t, "by name", must(s.GetSourceByName(ctx, "files-1"))(t), want)
	again, created, err := s.CreateSource(ctx, in)
	if err != nil || created || again.ID != src.ID {
		t.Fatalf("repeated CreateSource = %s created=%v err=%v", again.ID, created, err)
	}
	dup := in
	dup.IdempotencyKey = ""
	_, _, err = s.CreateSource(ctx, dup)
	wantErr(t, err, catalog.ErrConflict)

	pg := must2(s.CreateSource(ctx, catalog.Source{Name: "pg", Type: catalog.SourcePostgres, AgentID: "agent-2",
		Config: map[string]any{"host": "127.0.0.1", "port": float64(5432)}}))(t)
	if pg.Secrets != nil || len(pg.SecretKeys) != 0 {
		t.Fatalf("source without secrets has %v / %v", pg.Secrets, pg.SecretKeys)
	}
	list, total, err := s.ListSources(ctx, catalog.SourceFilter{AgentID: "agent-2"})
	if err != nil || total != 1 || list[0].ID != pg.ID {
		t.Fatalf("sources of agent-2 = %v total %d err %v", list, total, err)
	}
	_, total, err = s.ListSources(ctx, catalog.SourceFilter{})
	eq(t, "all sources", must(total, err)(t), 2)

	src.Config = map[string]any{"paths": []any{"/srv"}}
	src.Secrets, src.SecretKeys = nil, nil
	up := must(s.UpdateSource(ctx, src))(t)
	deq(t, "updated config", up.Config, src.Config)
	if up.Secrets != nil {
		t.Fatalf("secrets not cleared: %v", up.Secrets)
	}
	up.Name = "pg"
	_, err = s.UpdateSource(ctx, up)
	wantErr(t, err, catalog.ErrConflict)

	noErr(t, s.DeleteSource(ctx, src.ID))
	_, err = s.GetSource(ctx, src.ID)
	wantErr(t, err, catalog.ErrNotFound)
	_, err = s.GetSourceByName(ctx, "files-1")
	wantErr(t, err, catalog.ErrNotFound)
	wantErr(t, s.DeleteSource(ctx, src.ID), catalog.ErrNotFound)
}

func testStorageLocations(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	_, err := s.DefaultStorageLocation(ctx)
	wantErr(t, err, catalog.ErrNotFound)
	a := must2(s.CreateStorageLocation(ctx, catalog.StorageLocation{Name: "local", URL: "file:///var/lib/coffer/repo",
		IsDefault: true}))(t)
	in := catalog.StorageLocation{Name: "s3", URL: "s3://bucket/prefix", Options: map[string]string{"region": "eu-central-1"},
		Credentials: []byte("ciphertext"), CredentialKeys: []string{"accessKeyId", "secretAccessKey"}, IsDefault: true}
	b := must2(s.CreateStorageLocation(ctx, in))(t)
	want := in
	want.ID, want.CreatedAt, want.UpdatedAt = b.ID, b.CreatedAt, b.UpdatedAt
	deq(t, "stored location", must(s.GetStorageLocation(ctx, b.ID))(t), want)
	eq(t, "default moved to the new location", must(s.DefaultStorageLocation(ctx))(t).ID, b.ID)
	eq(t, "old default cleared", must(s.GetStorageLocation(ctx, a.ID))(t).IsDefault, false)

	a.IsDefault = true
	must(s.UpdateStorageLocation(ctx, a))(t)
	eq(t, "default moved back", must(s.DefaultStorageLocation(ctx))(t).ID, a.ID)
	list, total, err := s.ListStorageLocations(ctx, catalog.Page{})
	if err != nil || total != 2 || list[0].Name != "local" {
		t.Fatalf("ListStorageLocations = %v total %d err %v", list, total, err)
	}
	noErr(t, s.DeleteStorageLocation(ctx, b.ID))
	wantErr(t, s.DeleteStorageLocation(ctx, b.ID), catalog.ErrNotFound)
}

func testAgents(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	a := must(s.CreateAgent(ctx, catalog.Agent{Name: "db-host-1", Hostname: "db-host-1.example",
		Capabilities: []string{"source:files"}}))(t)
	if a.ID == "" || a.CreatedAt.IsZero() || a.Revoked() {
		t.Fatalf("created agent = %+v", a)
	}
	_, err := s.CreateAgent(ctx, catalog.Agent{Name: "db-host-1"})
	wantErr(t, err, catalog.ErrConflict)
	fixed := must(s.CreateAgent(ctx, catalog.Agent{ID: "agent-fixed", Name: "other"}))(t)
	eq(t, "caller-chosen ID", fixed.ID, "agent-fixed")

	exp := us(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	a = must(s.SetAgentCert(ctx, a.ID, catalog.AgentCert{Serial: "0a1b", Fingerprint: "ab12cd", ExpiresAt: exp}))(t)
	eq(t, "serial", a.CertSerial, "0a1b")
	sameTime(t, "cert expiry", a.CertExpiresAt, exp)

	t0 := now(t, s)
	noErr(t, s.TouchAgent(ctx, a.ID, t0, "0.3.1", []string{"source:files", "source:postgres"}))
	noErr(t, s.TouchAgent(ctx, a.ID, t0.Add(time.Second), "0.3.1", nil))
	a = must(s.GetAgent(ctx, a.ID))(t)
	sameTime(t, "last seen", a.LastSeen, us(t0.Add(time.Second)))
	deq(t, "capabilities kept", a.Capabilities, []string{"source:files", "source:postgres"})
	wantErr(t, s.TouchAgent(ctx, "nope", t0, "x", nil), catalog.ErrNotFound)

	a = must(s.RevokeAgent(ctx, a.ID, t0))(t)
	a = must(s.RevokeAgent(ctx, a.ID, t0.Add(time.Hour)))(t)
	sameTime(t, "first revocation time kept", a.RevokedAt, us(t0))

	a = must(s.RenameAgent(ctx, a.ID, "db-host-1-old"))(t)
	eq(t, "renamed", a.Name, "db-host-1-old")
	list, total, err := s.ListAgents(ctx, catalog.Page{})
	if err != nil || total != 2 || list[0].ID != a.ID {
		t.Fatalf("ListAgents = %v total %d err %v", list, total, err)
	}
	noErr(t, s.DeleteAgent(ctx, a.ID))
	_, err = s.GetAgent(ctx, a.ID)
	wantErr(t, err, catalog.ErrNotFound)
}

func testJoinTokens(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	t0 := now(t, s)
	tok := must(s.CreateJoinToken(ctx, catalog.JoinToken{Hash: []byte("hash-1"), AgentName: "db-1", ExpiresAt: t0.Add(time.Hour)}))(t)
	short := must(s.CreateJoinToken(ctx, catalog.JoinToken{Hash: []byte("hash-2"), ExpiresAt: t0.Add(time.Minute)}))(t)

	used := must(s.UseJoinToken(ctx, []byte("hash-1"), t0))(t)
	eq(t, "used token", used.ID, tok.ID)
	eq(t, "agent name", used.AgentName, "db-1")
	sameTime(t, "used at", used.UsedAt, us(t0))
	_, err := s.UseJoinToken(ctx, []byte("hash-1"), t0.Add(time.Second))
	wantErr(t, err, catalog.ErrTokenUsed)

	_, err = s.UseJoinToken(ctx, []byte("hash-2"), t0.Add(2*time.Minute))
	wantErr(t, err, catalog.ErrTokenExpired)
	_, err = s.UseJoinToken(ctx, []byte("hash-2"), short.ExpiresAt)
	wantErr(t, err, catalog.ErrTokenExpired) // expiry is exclusive
	_, err = s.UseJoinToken(ctx, []byte("unknown"), t0)
	wantErr(t, err, catalog.ErrNotFound)
}

func testJoinTokenConcurrent(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	t0 := now(t, s)
	must(s.CreateJoinToken(ctx, catalog.JoinToken{Hash: []byte("race"), ExpiresAt: t0.Add(time.Hour)}))(t)
	const n = 8
	var wg sync.WaitGroup
	results := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UseJoinToken(ctx, []byte("race"), t0)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, catalog.ErrTokenUsed):
			t.Fatalf("concurrent UseJoinToken: %v", err)
		}
	}
	eq(t, "successful uses", ok, 1)
}

func testAPITokens(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	exp := us(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
	a := must(s.CreateAPIToken(ctx, catalog.APIToken{Name: "admin", Role: catalog.RoleAdmin, Hash: []byte("h-admin"), Prefix: "cof_ab"}))(t)
	b := must(s.CreateAPIToken(ctx, catalog.APIToken{Name: "ci", Role: catalog.RoleOperator, Scopes: []string{"db1"},
		Hash: []byte("h-ci"), ExpiresAt: exp}))(t)
	got := must(s.GetAPITokenByHash(ctx, []byte("h-ci")))(t)
	eq(t, "by hash", got.ID, b.ID)
	deq(t, "scopes", got.Scopes, []string{"db1"})
	sameTime(t, "expiry", got.ExpiresAt, exp)
	if !bytes.Equal(got.Hash, []byte("h-ci")) {
		t.Fatalf("hash = %q", got.Hash)
	}
	_, err := s.GetAPITokenByHash(ctx, []byte("nope"))
	wantErr(t, err, catalog.ErrNotFound)
	_, err = s.CreateAPIToken(ctx, catalog.APIToken{Name: "dup", Role: catalog.RoleAuditor, Hash: []byte("h-ci")})
	wantErr(t, err, catalog.ErrConflict)

	t0 := now(t, s)
	noErr(t, s.TouchAPIToken(ctx, a.ID, t0))
	sameTime(t, "last used", must(s.GetAPIToken(ctx, a.ID))(t).LastUsedAt, us(t0))
	b = must(s.RevokeAPIToken(ctx, b.ID, t0))(t)
	sameTime(t, "revoked", b.RevokedAt, us(t0))
	_, total, err := s.ListAPITokens(ctx, catalog.APITokenFilter{})
	eq(t, "active tokens", must(total, err)(t), 1)
	_, total, err = s.ListAPITokens(ctx, catalog.APITokenFilter{IncludeRevoked: true})
	eq(t, "all tokens", must(total, err)(t), 2)
	_, err = s.RevokeAPIToken(ctx, "nope", t0)
	wantErr(t, err, catalog.ErrNotFound)
}
