// Package azure stores repository objects as block blobs in an Azure Blob
// Storage container (or Azurite).
//
// Save stages blocks in parallel, each with a CRC64 transfer checksum, and
// commits the block list last, so a blob appears whole or not at all; an
// upload that fails leaves only uncommitted blocks, which Azure discards.
// Credentials come from a connection string, an account name and shared key,
// or a SAS token.
package azure
