// Package enroll implements EnrollmentService: it trades a single-use join
// token and a CSR for a short-lived agent client certificate signed by the
// controller CA, and renews certificates for agents that still hold a valid
// one. The catalog records each agent's current certificate.
package enroll
