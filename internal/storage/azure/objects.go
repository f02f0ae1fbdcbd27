package azure

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/cofferhq/coffer/internal/storage"
)

// Save uploads r as a block blob; it becomes visible when the block list is
// committed after every block has been staged.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	opts := &blockblob.UploadStreamOptions{
		BlockSize:               b.cfg.BlockSize,
		Concurrency:             b.cfg.Concurrency,
		TransactionalValidation: blob.TransferValidationTypeComputeCRC64(),
	}
	if b.cfg.AccessTier != "" {
		opts.AccessTier = to.Ptr(blob.AccessTier(b.cfg.AccessTier))
	}
	client := b.container.NewBlockBlobClient(b.blobName(name))
	if _, err := client.UploadStream(ctx, storage.CheckSize(r, name, size), opts); err != nil {
		return fmt.Errorf("save %s: %w", name, storage.SaveError(name, err, classify))
	}
	return nil
}

// Open reads length bytes from offset (length < 0: to the end). The reader
// resumes a broken download where it stopped, at most three times.
func (b *Backend) Open(ctx context.Context, name string, offset, length int64) (io.ReadCloser, error) {
	if err := storage.ValidName(name); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if offset < 0 {
		return nil, storage.Permanent(name, fmt.Errorf("open: negative offset %d", offset))
	}
	if length == 0 {
		if _, err := b.Stat(ctx, name); err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}
	opts := &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: offset}}
	if length > 0 {
		opts.Range.Count = length
	}
	client := b.container.NewBlobClient(b.blobName(name))
	resp, err := client.DownloadStream(ctx, opts)
	if err != nil {
		if isInvalidRange(err) {
			// The blob exists but ends before offset (or is empty).
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("open %s: %w", name, classify(name, err))
	}
	return resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 3}), nil
}

// Stat returns the blob's size and last-modified time.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := storage.ValidName(name); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	props, err := b.container.NewBlobClient(b.blobName(name)).GetProperties(ctx, nil)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, classify(name, err))
	}
	info := storage.ObjectInfo{Name: name}
	if props.ContentLength != nil {
		info.Size = *props.ContentLength
	}
	if props.LastModified != nil {
		info.ModTime = *props.LastModified
	}
	return info, nil
}

// List pages through the blobs under prefix.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	opts := &container.ListBlobsFlatOptions{Prefix: to.Ptr(b.blobName(prefix))}
	if b.cfg.ListPageSize > 0 {
		opts.MaxResults = to.Ptr(b.cfg.ListPageSize)
	}
	pages := b.container.NewListBlobsFlatPager(opts)
	for pages.More() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, classify(prefix, err))
		}
		for _, item := range page.Segment.BlobItems {
			if item.Name == nil {
				continue
			}
			name, ok := b.objectName(*item.Name)
			if !ok {
				continue
			}
			info := storage.ObjectInfo{Name: name}
			if p := item.Properties; p != nil {
				if p.ContentLength != nil {
					info.Size = *p.ContentLength
				}
				if p.LastModified != nil {
					info.ModTime = *p.LastModified
				}
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove deletes the blob with its snapshots. An immutability policy or
// legal hold makes it fail with a permanent error.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	_, err := b.container.NewBlobClient(b.blobName(name)).Delete(ctx, &blob.DeleteOptions{
		DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude),
	})
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, classify(name, err))
	}
	return nil
}

var _ storage.Backend = (*Backend)(nil)
