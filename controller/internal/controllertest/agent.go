package controllertest

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/pki"
)

// JoinToken mints a join token through the REST API.
func (c *Controller) JoinToken(t testing.TB, name string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	c.MustDo(t, "POST", "/api/agents/join-tokens", map[string]any{"agentName": name}).Decode(t, &out)
	return out.Token
}

// Enroll enrolls an agent with a fresh key through the real Enroll RPC and
// returns its ID and the mTLS configuration it would use.
func (c *Controller) Enroll(t testing.TB, name string) (string, *tls.Config) {
	t.Helper()
	tok, err := pki.ParseJoinToken(c.JoinToken(t, name))
	if err != nil {
		t.Fatal(err)
	}
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	csr, err := pki.CreateCSR(key, name)
	if err != nil {
		t.Fatal(err)
	}
	conn := c.dial(t, pki.EnrollTLSConfig(tok.CAPin, "127.0.0.1"))
	resp, err := cofferv1.NewEnrollmentServiceClient(conn).Enroll(context.Background(), &cofferv1.EnrollRequest{
		JoinToken: tok.String(), CsrPem: csr, Hostname: name + ".test", Name: name, Version: "test",
	})
	if err != nil {
		t.Fatalf("enroll %s: %v", name, err)
	}
	keyPEM, _ := pki.EncodePrivateKey(key)
	cfg, err := pki.ClientTLSConfig(resp.GetCertificatePem(), keyPEM, resp.GetCaPem(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetAgentId(), cfg
}

// EnrollWith tries to enroll with a given join token (first time it is
// used, after it was used, after it expired) and returns the RPC error.
func (c *Controller) EnrollWith(t testing.TB, token string) error {
	t.Helper()
	tok, err := pki.ParseJoinToken(token)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := pki.GenerateKey()
	csr, _ := pki.CreateCSR(key, "x")
	conn := c.dial(t, pki.EnrollTLSConfig(tok.CAPin, "127.0.0.1"))
	_, err = cofferv1.NewEnrollmentServiceClient(conn).Enroll(context.Background(), &cofferv1.EnrollRequest{JoinToken: token, CsrPem: csr, Hostname: "x"})
	return err
}

// Dial opens a gRPC connection to the controller with cfg.
func (c *Controller) Dial(t testing.TB, cfg *tls.Config) *grpc.ClientConn { return c.dial(t, cfg) }

func (c *Controller) dial(t testing.TB, cfg *tls.Config) *grpc.ClientConn {
	t.Helper()
	_, port, _ := net.SplitHostPort(c.S.GRPCAddr())
	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// bearer sends an API token with every RPC.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	if b == "" {
		return nil, nil
	}
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// UserConn is a gRPC connection for an API user: TLS verified against the
// controller CA, token sent as a bearer token ("" sends none).
func (c *Controller) UserConn(t testing.TB, token string) *grpc.ClientConn {
	t.Helper()
	_, port, _ := net.SplitHostPort(c.S.GRPCAddr())
	conn, err := grpc.NewClient("127.0.0.1:"+port,
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: c.S.CA.Pool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})),
		grpc.WithPerRPCCredentials(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
