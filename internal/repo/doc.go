// Package repo implements Coffer's repository format: an encrypted,
// content-addressed store of chunks, directory trees and snapshot manifests
// on top of any storage.Backend. docs/FORMAT.md specifies it byte by byte.
//
// A Repository is opened with a key-encryption key (KEK: key file, passphrase,
// later Vault Transit or a cloud KMS) that unwraps the master key from one of
// the key slots under keys/. Every sub-key is derived from the master key.
//
// Write path: SaveBlob compresses and encrypts in the caller's goroutine,
// appends to an open pack, and hands full packs to a bounded set of upload
// goroutines. Flush uploads what is left and writes index objects; a
// snapshot written with SaveSnapshot afterwards is the commit point.
//
// Read path: LoadIndex, then LoadBlob / LoadTree / LoadSnapshot, each of which
// authenticates, decompresses and re-hashes what it reads. Any damage is
// reported as a *CorruptionError naming the storage object.
package repo
