package pki

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// AgentOU marks agent client certificates, so no other certificate the CA
// issues (the controller's own) is mistaken for an agent.
const AgentOU = "coffer-agent"

// Issued describes a signed certificate.
type Issued struct {
	CertPEM     []byte
	Serial      string // hex
	Fingerprint string // hex SHA-256 of the DER
	NotAfter    time.Time
}

// SignAgentCSR checks a PEM PKCS#10 request's signature and issues a client
// certificate for agentID valid from now for ttl. Only the request's public
// key is used: the subject is set by the CA, never taken from the request.
func (c *CA) SignAgentCSR(csrPEM []byte, agentID string, now time.Time, ttl time.Duration) (Issued, error) {
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		return Issued{}, err
	}
	if agentID == "" {
		return Issued{}, errors.New("sign agent certificate: empty agent ID")
	}
	serial, err := newSerial()
	if err != nil {
		return Issued{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: agentID, OrganizationalUnit: []string{AgentOU}, Organization: []string{"Coffer"}},
		NotBefore:    now.Add(-5 * time.Minute), // tolerate small clock skew
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return c.sign(tmpl, csr.PublicKey)
}

// ParseCSR decodes a PEM PKCS#10 request and checks its self-signature.
func ParseCSR(csrPEM []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("csr: no PEM CERTIFICATE REQUEST block")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr signature: %w", err)
	}
	return csr, nil
}

// IssueServerCert issues the controller's TLS server certificate for hosts
// (DNS names or IP addresses). The chain includes the CA so pinned clients
// can check it (see EnrollTLSConfig).
func (c *CA) IssueServerCert(hosts []string, now time.Time, ttl time.Duration) (tls.Certificate, error) {
	key, err := GenerateKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "coffer-controller", Organization: []string{"Coffer"}},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	issued, err := c.sign(tmpl, key.Public())
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := EncodePrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(append(issued.CertPEM, c.CertPEM...), keyPEM)
}

func (c *CA) sign(tmpl *x509.Certificate, pub any) (Issued, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, pub, c.key)
	if err != nil {
		return Issued{}, fmt.Errorf("sign certificate: %w", err)
	}
	sum := sha256.Sum256(der)
	return Issued{
		CertPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Serial:      tmpl.SerialNumber.Text(16),
		Fingerprint: hex.EncodeToString(sum[:]),
		NotAfter:    tmpl.NotAfter,
	}, nil
}

// AgentID returns the agent ID a verified client certificate names, or an
// error when it is not an agent certificate.
func AgentID(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", errors.New("no client certificate")
	}
	isAgent := false
	for _, ou := range cert.Subject.OrganizationalUnit {
		isAgent = isAgent || ou == AgentOU
	}
	if !isAgent || cert.Subject.CommonName == "" {
		return "", fmt.Errorf("certificate %q is not an agent certificate", cert.Subject.CommonName)
	}
	return cert.Subject.CommonName, nil
}
