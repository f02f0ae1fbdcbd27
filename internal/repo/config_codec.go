package repo

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/chunker"
)

// Names and defaults written into new configs.
const (
	configName        = "config"
	hashBlake3Keyed   = "blake3-keyed"
	encryptionAESGCM  = "aes-256-gcm"
	compressionZstd   = "zstd"
	chunkerFastCDC    = "fastcdc-gear64"
	DefaultPackSize   = 16 << 20
	minPackSize       = 64 << 10
	maxConfigPackSize = 1 << 30
)

// configFile is the stored form: Config plus a MAC over the rest.
type configFile struct {
	Config
	MAC []byte `json:"mac,omitempty"`
}

// encodeConfigJSON returns the canonical encoding: indented JSON and a
// newline. The MAC covers this encoding with MAC omitted.
func encodeConfigJSON(f configFile) []byte {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("encode config: %v", err)) // plain struct, cannot fail
	}
	return append(b, '\n')
}

func encodeConfig(c Config, keys *keySet) []byte {
	unsigned := encodeConfigJSON(configFile{Config: c})
	return encodeConfigJSON(configFile{Config: c, MAC: mac(keys.configMAC, unsigned)})
}

// decodeConfig parses a config object. It returns a *versionError for a
// newer format and a plain error for anything undecodable; authenticity is
// checked later by verifyConfig, once the master key is known.
func decodeConfig(raw []byte) (configFile, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return configFile{}, fmt.Errorf("not valid JSON: %w", err)
	}
	if probe.Version == nil {
		return configFile{}, errors.New("no version field")
	}
	if *probe.Version > FormatVersion {
		return configFile{}, &versionError{found: *probe.Version, supported: FormatVersion}
	}
	var f configFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return configFile{}, fmt.Errorf("not valid JSON: %w", err)
	}
	if err := f.Config.validate(); err != nil {
		return configFile{}, err
	}
	return f, nil
}

func (c Config) validate() error {
	switch {
	case c.Version < 1:
		return fmt.Errorf("invalid version %d", c.Version)
	case c.Hash != hashBlake3Keyed:
		return fmt.Errorf("unknown hash %q", c.Hash)
	case c.Encryption != encryptionAESGCM:
		return fmt.Errorf("unknown encryption %q", c.Encryption)
	case c.Compression != compressionZstd:
		return fmt.Errorf("unknown compression %q", c.Compression)
	case c.Chunker.Algorithm != chunkerFastCDC:
		return fmt.Errorf("unknown chunker %q", c.Chunker.Algorithm)
	case c.PackSize < minPackSize || c.PackSize > maxConfigPackSize:
		return fmt.Errorf("pack size %d out of range %d..%d", c.PackSize, minPackSize, maxConfigPackSize)
	case c.KeyEpoch != 0:
		return fmt.Errorf("key epoch %d is not supported by this coffer (only 0); upgrade coffer", c.KeyEpoch)
	}
	p := chunker.Params{Min: c.Chunker.Min, Avg: c.Chunker.Avg, Max: c.Chunker.Max}
	return p.Validate()
}

// verifyConfig checks that raw is the canonical encoding of f and that its
// MAC matches, which together detect any changed byte.
func verifyConfig(raw []byte, f configFile, keys *keySet) error {
	if !bytes.Equal(raw, encodeConfigJSON(f)) {
		return errors.New("not in canonical form (bytes were changed)")
	}
	unsigned := encodeConfigJSON(configFile{Config: f.Config})
	if !hmac.Equal(f.MAC, mac(keys.configMAC, unsigned)) {
		return errors.New("MAC mismatch (bytes were changed, or the config belongs to another repository)")
	}
	return nil
}

func newConfig(opts InitOptions, now time.Time) (Config, error) {
	var id ID
	copy(id[:], randomBytes(32))
	c := Config{
		Version: FormatVersion, ID: id, Created: now.UTC().Truncate(time.Second),
		Chunker: ChunkerConfig{
			Algorithm: chunkerFastCDC,
			Min:       orDefault(opts.ChunkMin, chunker.DefaultMin),
			Avg:       orDefault(opts.ChunkAvg, chunker.DefaultAvg),
			Max:       orDefault(opts.ChunkMax, chunker.DefaultMax),
		},
		Hash: hashBlake3Keyed, Encryption: encryptionAESGCM, Compression: compressionZstd,
		PackSize: orDefault(opts.PackSize, DefaultPackSize),
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("invalid options: %w", err)
	}
	return c, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
