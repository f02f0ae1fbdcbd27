// Package pki is Coffer's small certificate authority for the controller ↔
// agent channel, and the agent-side helpers to join it.
//
// Controller side (ca.go, issue.go): LoadOrCreateCA keeps an ECDSA P-256 CA
// in a directory (ca.crt, ca.key 0600), created on first start; the CA signs
// short-lived agent client certificates from CSRs (SignAgentCSR) and the
// controller's own server certificate (IssueServerCert).
//
// Agent side (csr.go, jointoken.go, tlsconfig.go), deliberately small:
//
//	key, _ := pki.GenerateKey()                  // the agent's private key
//	csrPEM, _ := pki.CreateCSR(key, hostname)    // sent in EnrollRequest.csr_pem
//	tok, _ := pki.ParseJoinToken(joinToken)      // tok.CAPin pins the controller CA
//	cfg := pki.EnrollTLSConfig(tok.CAPin, host)  // TLS for Enroll, before a CA is known
//	cfg, _ = pki.ClientTLSConfig(certPEM, keyPEM, caPEM, host) // mTLS afterwards
//
// An agent's identity is its certificate: the subject common name is the
// agent's catalog ID and the organisational unit is AgentOU (see AgentID).
package pki
