package pki

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLoadOrCreateCAKeepsTheSameCA(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ca")
	first, err := LoadOrCreateCA(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateCA(dir, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Pin(), second.Pin()) {
		t.Fatal("second start generated a new CA instead of loading the stored one")
	}
	st, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key mode %v, want 0600", st.Mode().Perm())
	}
}

// tlsPair runs one TLS handshake over loopback and returns the server's
// view of the connection and the client's handshake error.
func tlsPair(t *testing.T, server, client *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	states := make(chan tls.ConnectionState, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(states)
			return
		}
		defer c.Close()
		tc := tls.Server(c, server)
		if tc.Handshake() != nil {
			close(states)
			return
		}
		states <- tc.ConnectionState()
		io.Copy(io.Discard, tc)
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), client)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	c.Close()
	st := <-states
	return st, nil
}

func newServer(t *testing.T) (*CA, *tls.Config) {
	t.Helper()
	ca, err := NewCA("test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueServerCert([]string{"localhost", "127.0.0.1"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca, ca.ServerTLSConfig(cert)
}

func TestEnrollThenMutualTLS(t *testing.T) {
	t.Parallel()
	ca, serverCfg := newServer(t)
	tok, err := NewJoinToken(ca.Pin())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseJoinToken(tok.String())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Hash(), tok.Hash()) {
		t.Fatal("parsed token hashes differently")
	}
	// First contact: pinned, no client certificate.
	if _, err := tlsPair(t, serverCfg, EnrollTLSConfig(parsed.CAPin, "127.0.0.1")); err != nil {
		t.Fatalf("pinned handshake: %v", err)
	}
	// Enrolled: mTLS with a signed agent certificate.
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := CreateCSR(key, "db1.example")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := ca.SignAgentCSR(csr, "agent-42", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, err := ClientTLSConfig(issued.CertPEM, keyPEM, ca.CertPEM, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	st, err := tlsPair(t, serverCfg, clientCfg)
	if err != nil {
		t.Fatalf("mTLS handshake: %v", err)
	}
	if len(st.VerifiedChains) == 0 {
		t.Fatal("server did not verify the agent certificate")
	}
	id, err := AgentID(st.VerifiedChains[0][0])
	if err != nil || id != "agent-42" {
		t.Fatalf("AgentID = %q, %v; want agent-42", id, err)
	}
}

func TestWrongPinRefused(t *testing.T) {
	t.Parallel()
	_, serverCfg := newServer(t)
	other, err := NewCA("other", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = tlsPair(t, serverCfg, EnrollTLSConfig(other.Pin(), "127.0.0.1"))
	if err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("handshake with a foreign pin: %v, want a pin error", err)
	}
}

func TestCertificateFromAnotherCARefused(t *testing.T) {
	t.Parallel()
	ca, serverCfg := newServer(t)
	rogue, err := NewCA("rogue", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := GenerateKey()
	csr, _ := CreateCSR(key, "x")
	issued, err := rogue.SignAgentCSR(csr, "agent-1", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := EncodePrivateKey(key)
	clientCfg, err := ClientTLSConfig(issued.CertPEM, keyPEM, ca.CertPEM, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	st, err := tlsPair(t, serverCfg, clientCfg)
	// TLS 1.3 reports the server's refusal on the first read, so either the
	// handshake fails or the server saw no verified chain.
	if err == nil && len(st.VerifiedChains) > 0 {
		t.Fatal("server accepted a certificate from a foreign CA")
	}
}

func TestControllerCertIsNotAnAgent(t *testing.T) {
	t.Parallel()
	ca, _ := newServer(t)
	cert, err := ca.IssueServerCert([]string{"localhost"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AgentID(cert.Leaf); err == nil {
		t.Fatal("server certificate accepted as an agent identity")
	}
}

func TestSignRejectsBadCSR(t *testing.T) {
	t.Parallel()
	ca, _ := newServer(t)
	key, _ := GenerateKey()
	csr, _ := CreateCSR(key, "x")
	bad := bytes.Replace(csr, []byte("A"), []byte("B"), 3)
	for name, in := range map[string][]byte{"empty": nil, "garbage": []byte("hello"), "tampered": bad} {
		if _, err := ca.SignAgentCSR(in, "a", time.Now(), time.Hour); err == nil {
			t.Errorf("%s CSR was signed", name)
		}
	}
}

func TestParseJoinTokenErrorsHideTheToken(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "cjt1.secret", "cjt1.c2VjcmV0.zz", "xxx.a.b", "cjt1.!!!." + strings.Repeat("00", 32)} {
		_, err := ParseJoinToken(s)
		if err == nil {
			t.Errorf("ParseJoinToken(%q) accepted", s)
			continue
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats the token", err)
		}
	}
}

func TestParsePrivateKeyRoundTrip(t *testing.T) {
	t.Parallel()
	key, _ := GenerateKey()
	p, err := EncodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if !key.PublicKey.Equal(back.Public()) {
		t.Fatal("key changed in a PEM round trip")
	}
	if _, err := ParsePrivateKey([]byte("-----BEGIN FOO-----\nAA==\n-----END FOO-----\n")); err == nil {
		t.Fatal("unknown PEM type accepted")
	}
	if _, err := LoadCA("/nonexistent/ca.crt", "/nonexistent/ca.key"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("LoadCA of missing files: %v", err)
	}
}
