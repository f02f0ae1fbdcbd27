package enroll_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/cofferhq/coffer/agent/enroll"
	"github.com/cofferhq/coffer/agent/internal/agenttest"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

func request(c *agenttest.Controller, token string, trust enroll.Trust) enroll.Request {
	return enroll.Request{Addr: c.Addr, Token: token, Trust: trust, Name: "db1", Hostname: "db1.example", Version: "test"}
}

func TestEnrollWithCACertStoresIdentity(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	store := enroll.Store{Dir: filepath.Join(t.TempDir(), "data")}
	ctx := context.Background()

	id, err := store.Enroll(ctx, request(c, tok, enroll.Trust{CAPEM: c.CA.CertPEM}))
	if err != nil {
		t.Fatal(err)
	}
	if id.AgentID != "agent-1" {
		t.Fatalf("agent ID %q, want agent-1", id.AgentID)
	}
	loaded, err := store.Load(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if loaded.AgentID != id.AgentID || loaded.Certificate.Leaf.SerialNumber.Cmp(id.Certificate.Leaf.SerialNumber) != 0 {
		t.Fatalf("loaded %v, enrolled %v", loaded, id)
	}
	keys, _ := filepath.Glob(filepath.Join(store.Dir, "*.key"))
	if len(keys) != 1 {
		t.Fatalf("key files %v, want one", keys)
	}
	fi, err := os.Stat(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if s := id.String(); strings.Contains(s, "PRIVATE") {
		t.Fatalf("String() leaks key material: %s", s)
	}
}

func TestEnrollWithPinnedFingerprint(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	store := enroll.Store{Dir: t.TempDir()}
	pin := enroll.Fingerprint(c.CA.Cert.Raw)
	if _, err := store.Enroll(context.Background(), request(c, tok, enroll.Trust{Fingerprint: strings.ToUpper(pin[len("sha256:"):])})); err != nil {
		t.Fatal(err)
	}
}

func TestEnrollRefusesWrongFingerprint(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	store := enroll.Store{Dir: t.TempDir()}
	other := agenttest.NewCA(t)
	_, err := store.Enroll(context.Background(), request(c, tok, enroll.Trust{Fingerprint: enroll.Fingerprint(other.Cert.Raw)}))
	var u *enroll.UntrustedError
	if !errors.As(err, &u) || !enroll.IsPermanent(err) {
		t.Fatalf("err = %v, want UntrustedError", err)
	}
	if !strings.Contains(err.Error(), "pinned fingerprint") {
		t.Fatalf("error does not say what failed: %v", err)
	}
	if _, err := store.Load(time.Now()); !errors.Is(err, enroll.ErrNotEnrolled) {
		t.Fatalf("identity stored after failed enrollment: %v", err)
	}
}

func TestEnrollRefusesWrongCA(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	other := agenttest.NewCA(t)
	_, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), request(c, tok, enroll.Trust{CAPEM: other.CertPEM}))
	if !enroll.IsPermanent(err) || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("err = %v, want an untrusted-controller error", err)
	}
}

func TestEnrollWithTokenPinOnly(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	if _, err := (enroll.Store{Dir: t.TempDir()}).Enroll(context.Background(), request(c, tok, enroll.Trust{})); err != nil {
		t.Fatalf("enrollment with the token's CA pin: %v", err)
	}
}

func TestMalformedTokenIsPermanentError(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	_, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), request(c, "cjt1.abc.def", enroll.Trust{}))
	if err == nil || !enroll.IsPermanent(err) || !strings.Contains(err.Error(), "join token") {
		t.Fatalf("malformed token: %v", err)
	}
}

func TestUnreachableControllerIsRetryable(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	c.Stop()
	_, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), request(c, tok, enroll.Trust{}))
	if err == nil || enroll.IsPermanent(err) {
		t.Fatalf("stopped controller: %v (permanent=%v), want retryable", err, enroll.IsPermanent(err))
	}
}

func TestEnrollWithoutTrustIsRefused(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	_, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), request(c, "plain-token", enroll.Trust{}))
	if err == nil || !strings.Contains(err.Error(), "--ca-cert") || !enroll.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error advising --ca-cert or --ca-fingerprint", err)
	}
}

func TestEnrollTokenErrors(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	once := c.NewToken(t, time.Minute)
	old := c.NewToken(t, -time.Second)
	trust := enroll.Trust{CAPEM: c.CA.CertPEM}
	ctx := context.Background()
	if _, err := (enroll.Store{Dir: t.TempDir()}).Enroll(ctx, request(c, once, trust)); err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]string{once: "already used", old: "expired", "nope": "not valid"} {
		_, err := enroll.Store{Dir: t.TempDir()}.Enroll(ctx, request(c, tok, trust))
		var r *enroll.RefusedError
		if !errors.As(err, &r) || !strings.Contains(err.Error(), want) {
			t.Errorf("token: err = %v, want RefusedError containing %q", err, want)
		}
		if strings.Contains(fmt.Sprint(err), tok) {
			t.Errorf("error contains the token")
		}
	}
}

func TestRenewReplacesKeyAndCertificate(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	tok := c.NewToken(t, time.Minute)
	store := enroll.Store{Dir: t.TempDir()}
	ctx := context.Background()
	old, err := store.Enroll(ctx, request(c, tok, enroll.Trust{CAPEM: c.CA.CertPEM}))
	if err != nil {
		t.Fatal(err)
	}
	current := func() *enroll.Identity { return old }
	conn, err := grpc.NewClient(c.Addr, grpc.WithTransportCredentials(credentials.NewTLS(enroll.ClientTLS(enroll.ServerName(c.Addr), current))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	renewed, err := store.Renew(ctx, cofferv1.NewEnrollmentServiceClient(conn), old, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if renewed.AgentID != old.AgentID {
		t.Fatalf("agent ID changed: %s -> %s", old.AgentID, renewed.AgentID)
	}
	if renewed.Certificate.Leaf.SerialNumber.Cmp(old.Certificate.Leaf.SerialNumber) == 0 {
		t.Fatal("renewal returned the same certificate")
	}
	if renewed.Certificate.Leaf.PublicKey.(*ecdsa.PublicKey).Equal(old.Certificate.Leaf.PublicKey) {
		t.Fatal("renewal reused the old key")
	}
	loaded, err := store.Load(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Certificate.Leaf.SerialNumber.Cmp(renewed.Certificate.Leaf.SerialNumber) != 0 {
		t.Fatal("Load does not return the renewed certificate")
	}
	if keys, _ := filepath.Glob(filepath.Join(store.Dir, "*.key")); len(keys) != 1 {
		t.Fatalf("old key not removed: %v", keys)
	}
	if c.Renewals.Load() != 1 {
		t.Fatalf("controller saw %d renewals", c.Renewals.Load())
	}
}

func TestRenewAt(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	c.CertTTL = 30 * time.Hour
	id, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), request(c, c.NewToken(t, time.Minute), enroll.Trust{}))
	if err != nil {
		t.Fatal(err)
	}
	leaf := id.Certificate.Leaf
	now := time.Now()
	want := leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
	if got := id.RenewAt(now); !got.Equal(want) {
		t.Fatalf("RenewAt %v, want two thirds into the lifetime %v", got, want)
	}
	// Late in life (or a short-lived, backdated certificate) it is half of
	// what is left, never in the past.
	late := leaf.NotAfter.Add(-time.Hour)
	if got := id.RenewAt(late); !got.Equal(late.Add(30 * time.Minute)) {
		t.Fatalf("RenewAt late %v, want %v", got, late.Add(30*time.Minute))
	}
}
