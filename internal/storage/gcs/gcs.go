package gcs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"

	cstorage "github.com/cofferhq/coffer/internal/storage"
)

// Backend is a storage.Backend on one bucket and prefix.
type Backend struct {
	cfg    Config
	client *storage.Client
	bucket *storage.BucketHandle
}

// New connects to an existing bucket and checks that it is reachable.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := b.bucket.Attrs(ctx); err != nil {
		b.client.Close()
		if errors.Is(err, storage.ErrBucketNotExist) {
			return nil, cstorage.Permanent(b.Location(), fmt.Errorf("bucket %q does not exist", b.cfg.Bucket))
		}
		return nil, fmt.Errorf("open %s: %w", b.Location(), classify("bucket "+b.cfg.Bucket, err))
	}
	return b, nil
}

// Create is New that first creates the bucket, in cfg.ProjectID, when it
// does not exist.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	_, err = b.bucket.Attrs(ctx)
	if errors.Is(err, storage.ErrBucketNotExist) {
		err = b.bucket.Create(ctx, b.cfg.ProjectID, nil)
		if httpStatus(err) == 409 { // created meanwhile by someone else
			err = nil
		}
	}
	if err != nil {
		b.client.Close()
		return nil, fmt.Errorf("create %s: %w", b.Location(), classify("bucket "+b.cfg.Bucket, err))
	}
	return b, nil
}

func newBackend(ctx context.Context, cfg Config) (*Backend, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.withDefaults()
	var opts []option.ClientOption
	if cfg.CredentialsFile != "" {
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, cfg.CredentialsFile))
	}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(cfg.Endpoint+"/storage/v1/"), storage.WithJSONReads())
		if cfg.CredentialsFile == "" {
			opts = append(opts, option.WithoutAuthentication())
		}
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs: new client: %w", err)
	}
	client.SetRetry(
		storage.WithMaxAttempts(cfg.MaxAttempts),
		storage.WithBackoff(gax.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}),
	)
	return &Backend{cfg: cfg, client: client, bucket: client.Bucket(cfg.Bucket)}, nil
}

// Location names the bucket and prefix (and an emulator's host).
func (b *Backend) Location() string {
	where := path.Join(b.cfg.Bucket, b.cfg.Prefix)
	if u, err := url.Parse(b.cfg.Endpoint); err == nil && u.Host != "" {
		where = u.Host + "/" + where
	}
	return "gs:" + where
}

// Close releases the client's connections.
func (b *Backend) Close() error { return b.client.Close() }

func (b *Backend) key(name string) string {
	if b.cfg.Prefix == "" {
		return name
	}
	return b.cfg.Prefix + "/" + name
}

func (b *Backend) name(key string) (string, bool) {
	if b.cfg.Prefix == "" {
		return key, true
	}
	return strings.CutPrefix(key, b.cfg.Prefix+"/")
}
