package pki

import (
	"testing"
	"time"
)

// FuzzParseJoinToken: tokens arrive from the network in EnrollRequest.
func FuzzParseJoinToken(f *testing.F) {
	tok, _ := NewJoinToken(make([]byte, 32))
	f.Add(tok.String())
	f.Add("cjt1..")
	f.Fuzz(func(t *testing.T, s string) {
		if tok, err := ParseJoinToken(s); err == nil {
			if _, err := ParseJoinToken(tok.String()); err != nil {
				t.Fatalf("round trip failed: %v", err)
			}
		}
	})
}

// FuzzSignAgentCSR: CSRs arrive from the network in Enroll and
// RenewCertificate.
func FuzzSignAgentCSR(f *testing.F) {
	ca, err := NewCA("fuzz", time.Now())
	if err != nil {
		f.Fatal(err)
	}
	key, _ := GenerateKey()
	csr, _ := CreateCSR(key, "host")
	f.Add(csr)
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ca.SignAgentCSR(in, "a", time.Now(), time.Hour)
	})
}
