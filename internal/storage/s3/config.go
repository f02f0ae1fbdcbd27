package s3

import (
	"fmt"
	"strings"
	"time"
)

// Config selects a bucket and says how to reach it. The zero value of every
// optional field picks a sensible default.
type Config struct {
	Bucket string
	// Prefix is prepended (with a "/") to every object name.
	Prefix string
	// Region defaults to us-east-1.
	Region string
	// Endpoint is the base URL of an S3-compatible service. Setting it turns
	// on path-style addressing.
	Endpoint string
	// PathStyle forces path-style addressing (bucket in the path, not the host).
	PathStyle bool

	// AccessKeyID and SecretAccessKey select static credentials. When empty
	// the SDK's default chain is used: environment, shared config/credentials
	// files (Profile), web identity, instance metadata.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Profile         string

	// StorageClass such as STANDARD_IA or GLACIER_IR; empty keeps the bucket default.
	StorageClass string
	// ServerSideEncryption is "AES256" or "aws:kms"; KMSKeyID goes with the latter.
	ServerSideEncryption string
	KMSKeyID             string

	// ObjectLockMode ("GOVERNANCE" or "COMPLIANCE") and ObjectLockDays set a
	// retention period on every object saved. Create makes the bucket with
	// Object Lock enabled when a mode is set.
	ObjectLockMode string
	ObjectLockDays int

	// PartSize is the multipart part size (default 8 MiB, S3's
	// floor is 5 MiB); objects of at least MultipartThreshold bytes (default
	// 16 MiB) are uploaded in parts, Concurrency (default 5) at a time.
	PartSize           int64
	MultipartThreshold int64
	Concurrency        int
	// MaxAttempts bounds the SDK's own retries per request (default 3).
	MaxAttempts int

	// Now returns the current time, for retention dates; defaults to time.Now.
	Now func() time.Time
}

const minPartSize = 5 << 20

func (c *Config) validate() error {
	if c.Bucket == "" {
		return fmt.Errorf("s3: bucket is empty")
	}
	switch strings.ToUpper(c.ObjectLockMode) {
	case "":
		if c.ObjectLockDays != 0 {
			return fmt.Errorf("s3: object lock days set without a lock mode")
		}
	case "GOVERNANCE", "COMPLIANCE":
		if c.ObjectLockDays <= 0 {
			return fmt.Errorf("s3: object lock mode %s needs a retention of at least 1 day", c.ObjectLockMode)
		}
	default:
		return fmt.Errorf("s3: object lock mode %q: want GOVERNANCE or COMPLIANCE", c.ObjectLockMode)
	}
	if c.AccessKeyID != "" && c.SecretAccessKey == "" {
		return fmt.Errorf("s3: access key id given without a secret access key")
	}
	if c.PartSize != 0 && c.PartSize < minPartSize {
		return fmt.Errorf("s3: part size %d is below S3's minimum of %d", c.PartSize, minPartSize)
	}
	return nil
}

func (c *Config) withDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Endpoint != "" {
		c.PathStyle = true
	}
	c.ObjectLockMode = strings.ToUpper(c.ObjectLockMode)
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
