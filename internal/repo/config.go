package repo

import "time"

// FormatVersion is the repository format this coffer writes and the newest
// it reads.
const FormatVersion = 1

// Config is the plaintext configuration object "config".
type Config struct {
	Version int           `json:"version"`
	ID      ID            `json:"id"`
	Created time.Time     `json:"created"`
	Chunker ChunkerConfig `json:"chunker"`
	// Hash names the blob ID function: "blake3-keyed".
	Hash string `json:"hash"`
	// Encryption names the cipher: "aes-256-gcm".
	Encryption string `json:"encryption"`
	// Compression names the blob compression: "zstd".
	Compression string `json:"compression"`
	// PackSize is the default target pack size in bytes.
	PackSize int `json:"packSize"`
	// KeyEpoch is the data-key epoch new packs are written in (0).
	KeyEpoch uint32 `json:"keyEpoch"`
}

// ChunkerConfig holds the non-secret chunker parameters.
type ChunkerConfig struct {
	Algorithm string `json:"algorithm"` // "fastcdc-gear64"
	Min       int    `json:"min"`
	Avg       int    `json:"avg"`
	Max       int    `json:"max"`
}
