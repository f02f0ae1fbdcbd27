package s3

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend is a storage.Backend on one bucket and prefix.
type Backend struct {
	cfg      Config
	client   *s3.Client
	transfer *transfermanager.Client
	// lockedBucket makes Save check retention before overwriting.
	lockedBucket bool
}

// New connects to an existing bucket. It checks that the bucket is reachable
// with the given credentials, so misconfiguration fails here, not mid-backup.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.cfg.Bucket}); err != nil {
		if isNotFound(err) {
			return nil, storage.Permanent(b.Location(), fmt.Errorf("bucket %q does not exist", b.cfg.Bucket))
		}
		return nil, fmt.Errorf("open %s: %w", b.Location(), classify("bucket "+b.cfg.Bucket, err))
	}
	b.detectObjectLock(ctx)
	return b, nil
}

// Create is New that first creates the bucket when it does not exist, with
// Object Lock enabled when cfg asks for retention.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	_, err = b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b.cfg.Bucket})
	if err == nil {
		b.detectObjectLock(ctx)
		return b, nil
	}
	if !isNotFound(err) {
		return nil, fmt.Errorf("create %s: %w", b.Location(), classify("bucket "+b.cfg.Bucket, err))
	}
	in := &s3.CreateBucketInput{Bucket: &b.cfg.Bucket}
	if b.cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(b.cfg.Region),
		}
	}
	if b.cfg.ObjectLockMode != "" {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := b.client.CreateBucket(ctx, in); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return nil, fmt.Errorf("create %s: %w", b.Location(), classify("bucket "+b.cfg.Bucket, err))
		}
	}
	b.detectObjectLock(ctx)
	return b, nil
}

// detectObjectLock notes whether the bucket has Object Lock enabled, so that
// Save refuses to overwrite retained objects even when this client sets no
// retention itself. Without permission to read the configuration, only
// cfg.ObjectLockMode turns the check on.
func (b *Backend) detectObjectLock(ctx context.Context) {
	if b.cfg.ObjectLockMode != "" {
		b.lockedBucket = true
		return
	}
	out, err := b.client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &b.cfg.Bucket})
	b.lockedBucket = err == nil && out.ObjectLockConfiguration != nil &&
		out.ObjectLockConfiguration.ObjectLockEnabled == types.ObjectLockEnabledEnabled
}

func newBackend(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.withDefaults()
	loadOpts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithRetryMaxAttempts(cfg.MaxAttempts),
		awsconfig.WithRetryMode(aws.RetryModeStandard),
	}
	if cfg.AccessKeyID != "" {
		loadOpts = append(loadOpts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)))
	}
	if cfg.Profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.PathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, retryMaxBackoff)
		// Multipart objects carry no whole-object checksum to verify on
		// download; the repository authenticates every object anyway.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	transfer := transfermanager.New(client, func(o *transfermanager.Options) {
		o.PartSizeBytes = cfg.PartSize
		o.MultipartUploadThreshold = cfg.MultipartThreshold
		o.Concurrency = cfg.Concurrency
		o.ChecksumAlgorithm = "CRC32"
	})
	return &Backend{cfg: cfg, client: client, transfer: transfer}, nil
}

// Location names the endpoint, bucket and prefix; never credentials.
func (b *Backend) Location() string {
	loc := "s3:" + path.Join(b.cfg.Bucket, b.cfg.Prefix)
	if b.cfg.Endpoint != "" {
		host := b.cfg.Endpoint
		if u, err := url.Parse(b.cfg.Endpoint); err == nil && u.Host != "" {
			host = u.Host
		}
		loc = "s3:" + host + "/" + path.Join(b.cfg.Bucket, b.cfg.Prefix)
	}
	return loc
}

// Close releases nothing; the HTTP client's idle connections age out.
func (b *Backend) Close() error { return nil }

func (b *Backend) key(name string) string {
	if b.cfg.Prefix == "" {
		return name
	}
	return b.cfg.Prefix + "/" + name
}

// name turns a key back into an object name; ok is false for keys outside the prefix.
func (b *Backend) name(key string) (string, bool) {
	if b.cfg.Prefix == "" {
		return key, true
	}
	return strings.CutPrefix(key, b.cfg.Prefix+"/")
}
