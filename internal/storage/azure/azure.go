package azure

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/cofferhq/coffer/internal/storage"
)

// Backend is a storage.Backend on one container and prefix.
type Backend struct {
	cfg       Config
	container *container.Client
}

// New connects to an existing container and checks that it is reachable.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := b.container.GetProperties(ctx, nil); err != nil {
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil, storage.Permanent(b.Location(), fmt.Errorf("container %q does not exist", cfg.Container))
		}
		return nil, fmt.Errorf("open %s: %w", b.Location(), classify("container "+cfg.Container, err))
	}
	return b, nil
}

// Create is New that first creates the container when it does not exist.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	b, err := newBackend(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := b.container.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil, fmt.Errorf("create %s: %w", b.Location(), classify("container "+cfg.Container, err))
	}
	return b, nil
}

func newBackend(cfg Config) (*Backend, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.withDefaults()
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{
			MaxRetries:    cfg.MaxRetries,
			RetryDelay:    200 * time.Millisecond,
			MaxRetryDelay: 2 * time.Second,
		},
	}}
	var client *azblob.Client
	var err error
	switch {
	case cfg.ConnectionString != "":
		client, err = azblob.NewClientFromConnectionString(cfg.ConnectionString, opts)
	case cfg.AccountKey != "":
		var cred *azblob.SharedKeyCredential
		cred, err = azblob.NewSharedKeyCredential(cfg.AccountName, cfg.AccountKey)
		if err == nil {
			client, err = azblob.NewClientWithSharedKeyCredential(cfg.Endpoint, cred, opts)
		}
	default:
		client, err = azblob.NewClientWithNoCredential(withQuery(cfg.Endpoint, cfg.SASToken), opts)
	}
	if err != nil {
		// The SDK's messages may quote the connection string or key; keep
		// them out of the error.
		return nil, fmt.Errorf("azure: invalid credentials for account %q", cfg.AccountName)
	}
	return &Backend{cfg: cfg, container: client.ServiceClient().NewContainerClient(cfg.Container)}, nil
}

func withQuery(endpoint, query string) string {
	if strings.Contains(endpoint, "?") {
		return endpoint + "&" + query
	}
	return endpoint + "?" + query
}

// Location names the account (or endpoint host), container and prefix.
func (b *Backend) Location() string {
	where := b.cfg.AccountName
	if u, err := url.Parse(b.cfg.Endpoint); err == nil && u.Host != "" && !strings.HasSuffix(u.Host, ".blob.core.windows.net") {
		where = u.Host + strings.TrimSuffix(u.Path, "/")
	}
	return "azure:" + where + "/" + path.Join(b.cfg.Container, b.cfg.Prefix)
}

// Close releases nothing.
func (b *Backend) Close() error { return nil }

func (b *Backend) blobName(name string) string {
	if b.cfg.Prefix == "" {
		return name
	}
	return b.cfg.Prefix + "/" + name
}

func (b *Backend) objectName(blob string) (string, bool) {
	if b.cfg.Prefix == "" {
		return blob, true
	}
	return strings.CutPrefix(blob, b.cfg.Prefix+"/")
}
