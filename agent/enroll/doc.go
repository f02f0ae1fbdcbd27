// Package enroll gives an agent its identity: it generates the agent's
// private key locally (it never leaves the machine), trades a join token and
// a certificate signing request for a client certificate from the
// controller's CA, keeps key, certificate and CA certificate in the agent's
// data directory, and renews the certificate before it expires.
//
// Trust on first contact is never blind: before the agent has the CA
// certificate, the controller is verified either against a CA certificate
// the operator supplies (Trust.CAPEM) or against a pinned SHA-256
// fingerprint (Trust.Fingerprint) of the controller's CA certificate (or of
// its serving certificate), which the controller prints at start. Without
// either, enrollment is refused.
//
// Files in the data directory (0700):
//
//	identity.json       agent ID and the current generation of the files below
//	agent.<gen>.key     PEM PKCS#8 private key (0600)
//	agent.<gen>.crt     PEM client certificate
//	ca.<gen>.crt        PEM CA certificate(s) that sign the controller
//
// A renewal writes a new generation and then replaces identity.json
// atomically, so a crash never leaves a key paired with the wrong
// certificate.
package enroll
