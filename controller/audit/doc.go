// Package audit appends the controller's state changes to the catalog's
// hash-chained audit log and verifies the chain.
//
// Each entry's hash is SHA-256 over a canonical encoding of its fields and
// the previous entry's hash, so editing, deleting or reordering any stored
// entry breaks every hash after it; Verify finds the first broken link.
package audit
