// Package sealer encrypts the controller's write-only secrets (source
// secrets, storage credentials, repository keys) before they reach the
// catalog, with AES-256-GCM under a controller key kept outside the database
// (a file in the data directory, or one shared by all replicas).
//
// A database dump alone therefore reveals no secret. The purpose of each
// sealed value is bound as additional data, so a source's secrets cannot be
// swapped in as a storage location's credentials.
package sealer
