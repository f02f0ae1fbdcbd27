package enroll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Identity is what an enrolled agent proves itself with.
type Identity struct {
	// AgentID is the agent's catalog ID, assigned by the controller.
	AgentID string
	// Certificate is the client key pair; Certificate.Leaf is set.
	Certificate tls.Certificate
	// CAPEM is the PEM CA bundle that signs the controller's certificate.
	CAPEM []byte
	// CAs is CAPEM parsed.
	CAs *x509.CertPool
}

// NotAfter is when the client certificate expires.
func (id *Identity) NotAfter() time.Time { return id.Certificate.Leaf.NotAfter }

// RenewAt is when the certificate should be renewed: after two thirds of
// its lifetime, leaving a third for retries while the controller is away.
// Because CAs backdate NotBefore for clock skew, a short-lived certificate
// can be "two thirds old" when it arrives; RenewAt is then half of the time
// left from now, so renewals never spin.
func (id *Identity) RenewAt(now time.Time) time.Time {
	leaf := id.Certificate.Leaf
	at := leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore) / 3)
	if floor := now.Add(leaf.NotAfter.Sub(now) / 2); at.Before(floor) {
		at = floor
	}
	return at
}

// String names the identity without any key material.
func (id *Identity) String() string {
	return fmt.Sprintf("agent %s (certificate serial %x, expires %s)",
		id.AgentID, id.Certificate.Leaf.SerialNumber, id.NotAfter().UTC().Format(time.RFC3339))
}

// newIdentity checks that certPEM belongs to keyPEM and chains to caPEM.
func newIdentity(agentID string, keyPEM, certPEM, caPEM []byte, now time.Time) (*Identity, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client certificate does not match the agent key: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parse client certificate: %w", err)
	}
	pair.Leaf = leaf
	cas, err := certPool(caPEM)
	if err != nil {
		return nil, err
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots:         cas,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		// An expired certificate is still this agent's identity; the caller
		// reports the expiry in terms the operator can act on.
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("client certificate does not chain to the controller CA: %w", err)
	}
	if agentID == "" {
		return nil, errors.New("controller returned no agent ID")
	}
	return &Identity{AgentID: agentID, Certificate: pair, CAPEM: caPEM, CAs: cas}, nil
}
