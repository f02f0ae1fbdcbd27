package azure

import (
	"errors"
	"fmt"
	"strings"
)

// Config selects a container and says how to reach it.
type Config struct {
	Container string
	// Prefix is prepended (with a "/") to every blob name.
	Prefix string

	// Exactly one way to authenticate: ConnectionString; AccountName with
	// AccountKey (shared key); or SASToken (with AccountName or Endpoint).
	ConnectionString string
	AccountName      string
	AccountKey       string
	SASToken         string

	// Endpoint is the blob service URL; it defaults to
	// https://<account>.blob.core.windows.net/ (Azurite:
	// http://127.0.0.1:10000/devstoreaccount1).
	Endpoint string

	// BlockSize (default 4 MiB) and Concurrency (default 4) shape uploads:
	// up to Concurrency blocks of BlockSize bytes are in flight at once.
	BlockSize   int64
	Concurrency int
	// ListPageSize is the number of blobs per list request (default: the
	// service's 5000).
	ListPageSize int32
	// AccessTier such as Hot, Cool or Cold; empty keeps the account default.
	AccessTier string
	// MaxRetries bounds the SDK's own retries per request (default 3).
	MaxRetries int32
}

func (c *Config) validate() error {
	if c.Container == "" {
		return errors.New("azure: container is empty")
	}
	switch {
	case c.ConnectionString != "":
	case c.AccountName != "" && c.AccountKey != "":
	case c.SASToken != "" && (c.AccountName != "" || c.Endpoint != ""):
	default:
		return errors.New("azure: no credentials: want a connection string, an account name and key, or a SAS token")
	}
	return nil
}

func (c *Config) withDefaults() {
	c.Prefix = strings.Trim(c.Prefix, "/")
	c.SASToken = strings.TrimPrefix(c.SASToken, "?")
	if c.BlockSize == 0 {
		c.BlockSize = 4 << 20
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.ConnectionString != "" {
		fields := connStringFields(c.ConnectionString)
		if c.AccountName == "" {
			c.AccountName = fields["accountname"]
		}
		if c.Endpoint == "" {
			c.Endpoint = fields["blobendpoint"]
		}
	}
	if c.Endpoint == "" && c.AccountName != "" {
		c.Endpoint = fmt.Sprintf("https://%s.blob.core.windows.net/", c.AccountName)
	}
}

// connStringFields parses "Key=Value;..." with lower-cased keys. Values may
// contain "=" (base64 keys), so only the first "=" splits.
func connStringFields(s string) map[string]string {
	fields := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return fields
}
