package enroll

import (
	"context"
	"fmt"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Renew asks the controller, over a connection already authenticated with
// current's certificate, for a certificate for a fresh key, stores it and
// returns the new identity. The old key is never reused.
func (s Store) Renew(ctx context.Context, client cofferv1.EnrollmentServiceClient, current *Identity, now time.Time) (*Identity, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	csr, err := newCSR(key, current.Certificate.Leaf.Subject.CommonName)
	if err != nil {
		return nil, err
	}
	resp, err := client.RenewCertificate(ctx, &cofferv1.RenewCertificateRequest{CsrPem: csr})
	if err != nil {
		return nil, fmt.Errorf("renew certificate: %w", classify("", &verifier{}, err))
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	caPEM := resp.GetCaPem()
	if len(caPEM) == 0 {
		caPEM = current.CAPEM
	}
	id, err := newIdentity(current.AgentID, keyPEM, resp.GetCertificatePem(), caPEM, now)
	if err != nil {
		return nil, fmt.Errorf("renewed certificate: %w", err)
	}
	if err := s.save(id.AgentID, "", keyPEM, resp.GetCertificatePem(), caPEM); err != nil {
		return nil, err
	}
	return id, nil
}
