package enroll

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// Trust is how an agent that has no CA certificate yet verifies the
// controller during enrollment. Exactly one field is needed.
type Trust struct {
	// CAPEM is the controller's CA certificate (PEM), given by the operator
	// (e.g. `--ca-cert FILE`) or by `coffer dev` in-process.
	CAPEM []byte
	// Fingerprint is the SHA-256 of the DER of the controller's CA
	// certificate (or of its serving certificate), as hex, with or without
	// colons and an optional "sha256:" prefix.
	Fingerprint string
}

// Fingerprint formats the SHA-256 fingerprint of a DER certificate the way
// Trust.Fingerprint accepts it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func parseFingerprint(s string) ([]byte, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "sha256:")
	s = strings.ReplaceAll(s, ":", "")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return nil, errors.New("CA fingerprint must be a SHA-256 hash: 64 hex characters")
	}
	return b, nil
}

// ServerName is the host part of a HOST:PORT address, the name the
// controller's certificate must carry.
func ServerName(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// verifier checks the controller's certificate itself (the config has
// InsecureSkipVerify only so that the pinned-fingerprint case can choose its
// own roots) and remembers the failure so callers can tell a wrong
// controller from an unreachable one.
type verifier struct {
	serverName string
	roots      func() *x509.CertPool
	pin        []byte

	mu  sync.Mutex
	err error
}

func (v *verifier) failed() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

func (v *verifier) verify(cs tls.ConnectionState) error {
	err := v.check(cs.PeerCertificates)
	if err != nil {
		err = fmt.Errorf("controller certificate not trusted: %w", err)
		v.mu.Lock()
		v.err = err
		v.mu.Unlock()
	}
	return err
}

func (v *verifier) check(chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return errors.New("controller presented no certificate")
	}
	leaf := chain[0]
	roots := x509.NewCertPool()
	if v.pin != nil {
		found := false
		for _, c := range chain {
			sum := sha256.Sum256(c.Raw)
			if subtle.ConstantTimeCompare(sum[:], v.pin) != 1 {
				continue
			}
			if c == leaf {
				return nil // the serving certificate itself is pinned
			}
			if c.IsCA {
				roots.AddCert(c)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no certificate presented by %s has the pinned fingerprint (presented %s)", v.serverName, Fingerprint(leaf.Raw))
		}
	} else {
		roots = v.roots()
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		DNSName:       v.serverName,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// enrollTLS is the TLS config for Enroll: no client certificate yet.
func (t Trust) enrollTLS(serverName string) (*tls.Config, *verifier, error) {
	v := &verifier{serverName: serverName}
	switch {
	case len(t.CAPEM) > 0 && t.Fingerprint != "":
		return nil, nil, errors.New("give either a CA certificate or a CA fingerprint, not both")
	case len(t.CAPEM) > 0:
		pool, err := certPool(t.CAPEM)
		if err != nil {
			return nil, nil, err
		}
		v.roots = func() *x509.CertPool { return pool }
	case t.Fingerprint != "":
		pin, err := parseFingerprint(t.Fingerprint)
		if err != nil {
			return nil, nil, err
		}
		v.pin = pin
	default:
		return nil, nil, errors.New("no way to verify the controller: the join token carries no CA pin; give the controller's CA certificate (--ca-cert) or its fingerprint (--ca-fingerprint)")
	}
	return baseTLS(serverName, v), v, nil
}

// ClientTLS is the mTLS config for an enrolled agent. current is called for
// every handshake, so a renewed certificate or CA is used by the next
// connection without rebuilding the gRPC client.
func ClientTLS(serverName string, current func() *Identity) *tls.Config {
	v := &verifier{serverName: serverName, roots: func() *x509.CertPool { return current().CAs }}
	cfg := baseTLS(serverName, v)
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		c := current().Certificate
		return &c, nil
	}
	return cfg
}

func baseTLS(serverName string, v *verifier) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		ServerName: serverName,
		// Verification happens in VerifyConnection (see verifier).
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection:   v.verify,
	}
}
