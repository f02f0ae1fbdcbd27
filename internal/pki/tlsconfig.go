package pki

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// EnrollTLSConfig is the agent's TLS configuration for its first call
// (Enroll), when it knows the controller only by the CA pin in its join
// token: the server's chain must contain a CA certificate whose SHA-256 is
// pin, and the leaf must verify against that CA for serverName.
func EnrollTLSConfig(pin []byte, serverName string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		// Verification is done by VerifyPinnedChain instead of the system
		// roots, which never hold the controller's private CA.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			return VerifyPinnedChain(raw, pin, serverName)
		},
	}
}

// VerifyPinnedChain checks a raw certificate chain (leaf first) against a
// CA pin.
func VerifyPinnedChain(raw [][]byte, pin []byte, serverName string) error {
	if len(raw) == 0 {
		return errors.New("controller sent no certificate")
	}
	var ca *x509.Certificate
	for _, der := range raw[1:] {
		sum := sha256.Sum256(der)
		if bytes.Equal(sum[:], pin) {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("parse pinned CA: %w", err)
			}
			ca = c
		}
	}
	if ca == nil {
		return errors.New("controller certificate chain does not contain the CA pinned by the join token")
	}
	leaf, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return fmt.Errorf("parse controller certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: serverName, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return fmt.Errorf("verify controller certificate: %w", err)
	}
	return nil
}

// ClientTLSConfig is the agent's mTLS configuration once enrolled: it
// presents its certificate and trusts only the controller CA.
func ClientTLSConfig(certPEM, keyPEM, caPEM []byte, serverName string) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("agent certificate: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("CA certificate: no PEM certificate found")
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		ServerName:   serverName,
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
	}, nil
}

// ServerTLSConfig is the controller's gRPC TLS configuration: it presents
// cert and verifies client certificates against the CA when one is given.
// Enroll runs without a client certificate; the agent channel and
// RenewCertificate require one (checked per call, see AgentID).
func (c *CA) ServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    c.Pool(),
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
}
