package agenttest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/pki"
)

// Controller is the test double of the controller's agent-facing services.
type Controller struct {
	cofferv1.UnimplementedEnrollmentServiceServer
	cofferv1.UnimplementedAgentChannelServiceServer

	Addr       string
	CA         *pki.CA
	ServerCert tls.Certificate
	// CertTTL is the lifetime of issued client certificates.
	CertTTL time.Duration
	// AutoAck acknowledges every JobResult as it arrives.
	AutoAck atomic.Bool
	// Mute stops the controller's heartbeats (a hung controller).
	Mute atomic.Bool
	// Hang reads hellos but never answers them.
	Hang atomic.Bool
	// Hellos counts hellos received.
	Hellos atomic.Int32
	// HeartbeatSeconds and ProgressSeconds go into every welcome.
	HeartbeatSeconds, ProgressSeconds int32
	// MinProtocol refuses older agents with FAILED_PRECONDITION.
	MinProtocol int32
	// Reattach answers a job reported in a hello; default JobReattached.
	Reattach func(*cofferv1.RunningJob) *cofferv1.ConnectResponse

	Renewals atomic.Int32

	srv   *grpc.Server
	conns chan *Conn

	mu       sync.Mutex
	tokens   map[string]*token
	revoked  map[string]bool
	agents   int
	accepted int
}

type token struct {
	expires time.Time
	used    bool
}

// Conns counts accepted streams.
func (c *Controller) Conns() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

// Start serves the controller on a free loopback port until the test ends.
func Start(t testing.TB) *Controller {
	t.Helper()
	ca := NewCA(t)
	serverCert, err := ca.IssueServerCert([]string{"127.0.0.1", "::1", "localhost"}, time.Now(), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := &Controller{
		CA:               ca,
		ServerCert:       serverCert,
		CertTTL:          time.Hour,
		HeartbeatSeconds: 1,
		ProgressSeconds:  1,
		MinProtocol:      1,
		conns:            make(chan *Conn, 64),
		tokens:           map[string]*token{},
		revoked:          map[string]bool{},
	}
	creds := credentials.NewTLS(ca.ServerTLSConfig(serverCert))
	c.srv = grpc.NewServer(grpc.Creds(creds))
	cofferv1.RegisterEnrollmentServiceServer(c.srv, c)
	cofferv1.RegisterAgentChannelServiceServer(c.srv, c)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Addr = lis.Addr().String()
	go c.srv.Serve(lis)
	t.Cleanup(c.srv.Stop)
	return c
}

// Stop closes the listener and every stream, as a controller crash would.
func (c *Controller) Stop() { c.srv.Stop() }

// NewToken mints a single-use join token (with the CA pin, as the real
// controller does) valid for ttl.
func (c *Controller) NewToken(t testing.TB, ttl time.Duration) string {
	t.Helper()
	tok, err := pki.NewJoinToken(c.CA.Pin())
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tokens[tok.Secret] = &token{expires: time.Now().Add(ttl)}
	return tok.String()
}

// Revoke refuses the agent's streams from now on.
func (c *Controller) Revoke(agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked[agentID] = true
}

// Enroll implements EnrollmentService.Enroll.
func (c *Controller) Enroll(_ context.Context, req *cofferv1.EnrollRequest) (*cofferv1.EnrollResponse, error) {
	secret := ""
	if jt, err := pki.ParseJoinToken(req.GetJoinToken()); err == nil {
		secret = jt.Secret
	}
	c.mu.Lock()
	tok := c.tokens[secret]
	switch {
	case tok == nil:
		c.mu.Unlock()
		return nil, status.Error(codes.PermissionDenied, "join token is not valid")
	case tok.used:
		c.mu.Unlock()
		return nil, status.Error(codes.PermissionDenied, "join token was already used")
	case time.Now().After(tok.expires):
		c.mu.Unlock()
		return nil, status.Error(codes.PermissionDenied, "join token expired")
	}
	tok.used = true
	c.agents++
	id := fmt.Sprintf("agent-%d", c.agents)
	c.mu.Unlock()
	issued, err := c.CA.SignAgentCSR(req.GetCsrPem(), id, time.Now(), c.CertTTL)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &cofferv1.EnrollResponse{AgentId: id, CertificatePem: issued.CertPEM, CaPem: c.CA.CertPEM, ExpiresAt: timestamppb.New(issued.NotAfter)}, nil
}

// RenewCertificate implements EnrollmentService.RenewCertificate.
func (c *Controller) RenewCertificate(ctx context.Context, req *cofferv1.RenewCertificateRequest) (*cofferv1.RenewCertificateResponse, error) {
	id, err := c.agentID(ctx)
	if err != nil {
		return nil, err
	}
	issued, err := c.CA.SignAgentCSR(req.GetCsrPem(), id, time.Now(), c.CertTTL)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	c.Renewals.Add(1)
	return &cofferv1.RenewCertificateResponse{CertificatePem: issued.CertPEM, CaPem: c.CA.CertPEM, ExpiresAt: timestamppb.New(issued.NotAfter)}, nil
}

// agentID is the verified client certificate's common name.
func (c *Controller) agentID(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", status.Error(codes.Unauthenticated, "no peer")
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.VerifiedChains) == 0 {
		return "", status.Error(codes.Unauthenticated, "client certificate required")
	}
	id, err := pki.AgentID(ti.State.VerifiedChains[0][0])
	if err != nil {
		return "", status.Error(codes.Unauthenticated, err.Error())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.revoked[id] {
		return "", status.Errorf(codes.PermissionDenied, "agent %s is revoked", id)
	}
	return id, nil
}
