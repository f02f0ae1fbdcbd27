package enroll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/audit"
	"github.com/cofferhq/coffer/controller/auth"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/pki"
)

// Store is what enrollment needs from the catalog.
type Store interface {
	catalog.Clock
	catalog.JoinTokenStore
	catalog.AgentStore
}

// Service implements EnrollmentService.
type Service struct {
	cofferv1.UnimplementedEnrollmentServiceServer
	Store Store
	CA    *pki.CA
	Audit *audit.Log
	Log   *slog.Logger
	// CertTTL is the lifetime of issued agent certificates.
	CertTTL time.Duration
}

// Enroll implements EnrollmentService.Enroll.
func (s *Service) Enroll(ctx context.Context, req *cofferv1.EnrollRequest) (*cofferv1.EnrollResponse, error) {
	tok, err := pki.ParseJoinToken(req.GetJoinToken())
	if err != nil {
		return nil, apierr.Denied("join token is not valid")
	}
	// Check the CSR before using the token, so a broken CSR does not burn it.
	if _, err := pki.ParseCSR(req.GetCsrPem()); err != nil {
		return nil, apierr.InvalidErr("csrPem", err)
	}
	now, err := s.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	jt, err := s.Store.UseJoinToken(ctx, tok.Hash(), now)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return nil, apierr.Denied("join token is not valid")
	case errors.Is(err, catalog.ErrTokenUsed):
		return nil, apierr.Denied("join token was already used")
	case errors.Is(err, catalog.ErrTokenExpired):
		return nil, apierr.Denied("join token expired")
	case err != nil:
		return nil, err
	}
	agent, err := s.createAgent(ctx, agentName(jt.AgentName, req.GetName(), req.GetHostname()), req)
	if err != nil {
		return nil, err
	}
	issued, err := s.CA.SignAgentCSR(req.GetCsrPem(), agent.ID, now, s.CertTTL)
	if err != nil {
		return nil, apierr.InvalidErr("csrPem", err)
	}
	if _, err := s.Store.SetAgentCert(ctx, agent.ID, catalog.AgentCert{Serial: issued.Serial, Fingerprint: issued.Fingerprint, ExpiresAt: issued.NotAfter}); err != nil {
		return nil, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Actor: "join-token:" + jt.ID, Action: "agent.enroll", Object: "agent/" + agent.ID,
		Details: map[string]any{"name": agent.Name, "hostname": agent.Hostname, "certSerial": issued.Serial}}); err != nil {
		return nil, err
	}
	s.Log.Info("agent enrolled", "agent", agent.ID, "name", agent.Name, "hostname", agent.Hostname)
	return &cofferv1.EnrollResponse{AgentId: agent.ID, CertificatePem: issued.CertPEM, CaPem: s.CA.CertPEM, ExpiresAt: protoconv.TS(issued.NotAfter)}, nil
}

// createAgent stores the agent under name, or name-2, name-3, ... when the
// name is taken.
func (s *Service) createAgent(ctx context.Context, name string, req *cofferv1.EnrollRequest) (catalog.Agent, error) {
	for i := 1; ; i++ {
		n := name
		if i > 1 {
			n = fmt.Sprintf("%s-%d", name, i)
		}
		a, err := s.Store.CreateAgent(ctx, catalog.Agent{Name: n, Hostname: req.GetHostname(), Version: req.GetVersion()})
		if !errors.Is(err, catalog.ErrConflict) || i >= 100 {
			return a, err
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// agentName picks the token's name, else the requested one, else the host
// name, made safe for the API's name rules.
func agentName(names ...string) string {
	for _, n := range names {
		n = unsafeName.ReplaceAllString(n, "-")
		for len(n) > 0 && (n[0] == '-' || n[0] == '.' || n[0] == '_') {
			n = n[1:]
		}
		if len(n) > 100 {
			n = n[:100]
		}
		if n != "" {
			return n
		}
	}
	return "agent"
}

// RenewCertificate implements EnrollmentService.RenewCertificate.
func (s *Service) RenewCertificate(ctx context.Context, req *cofferv1.RenewCertificateRequest) (*cofferv1.RenewCertificateResponse, error) {
	id, err := auth.AgentFromPeer(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Store.GetAgent(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, apierr.Denied("agent %s is not enrolled", id)
	}
	if err != nil {
		return nil, err
	}
	if a.Revoked() {
		return nil, apierr.Denied("agent %s is revoked", id)
	}
	now, err := s.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	issued, err := s.CA.SignAgentCSR(req.GetCsrPem(), a.ID, now, s.CertTTL)
	if err != nil {
		return nil, apierr.InvalidErr("csrPem", err)
	}
	if _, err := s.Store.SetAgentCert(ctx, a.ID, catalog.AgentCert{Serial: issued.Serial, Fingerprint: issued.Fingerprint, ExpiresAt: issued.NotAfter}); err != nil {
		return nil, err
	}
	if err := s.Audit.Record(ctx, audit.Event{Actor: "agent:" + a.ID, Action: "agent.renew", Object: "agent/" + a.ID,
		Details: map[string]any{"certSerial": issued.Serial}}); err != nil {
		return nil, err
	}
	return &cofferv1.RenewCertificateResponse{CertificatePem: issued.CertPEM, CaPem: s.CA.CertPEM, ExpiresAt: protoconv.TS(issued.NotAfter)}, nil
}
