package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cofferhq/coffer/internal/storage"
)

// Save uploads r as name; the object appears only once the upload completes.
func (b *Backend) Save(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	key := b.key(name)
	if _, err := b.checkUnlocked(ctx, name, key); err != nil && !storage.IsNotExist(err) {
		return fmt.Errorf("save %s: %w", name, err)
	}
	in := &transfermanager.UploadObjectInput{
		Bucket:            &b.cfg.Bucket,
		Key:               &key,
		Body:              storage.CheckSize(r, name, size),
		ChecksumAlgorithm: tmtypes.ChecksumAlgorithmCrc32,
	}
	if size >= 0 {
		in.ContentLength = aws.Int64(size)
	}
	if b.cfg.StorageClass != "" {
		in.StorageClass = tmtypes.StorageClass(b.cfg.StorageClass)
	}
	if b.cfg.ServerSideEncryption != "" {
		in.ServerSideEncryption = tmtypes.ServerSideEncryption(b.cfg.ServerSideEncryption)
		if b.cfg.KMSKeyID != "" {
			in.SSEKMSKeyID = aws.String(b.cfg.KMSKeyID)
		}
	}
	if b.cfg.ObjectLockMode != "" {
		in.ObjectLockMode = tmtypes.ObjectLockMode(b.cfg.ObjectLockMode)
		in.ObjectLockRetainUntilDate = aws.Time(b.cfg.Now().Add(time.Duration(b.cfg.ObjectLockDays) * 24 * time.Hour).UTC())
	}
	if _, err := b.transfer.UploadObject(ctx, in); err != nil {
		return fmt.Errorf("save %s: %w", name, storage.SaveError(name, err, classify))
	}
	return nil
}

// checkUnlocked returns an ErrLocked error when Object Lock still retains
// the object. It costs a HEAD, so it runs only on buckets with locking.
func (b *Backend) checkUnlocked(ctx context.Context, name, key string) (*s3.HeadObjectOutput, error) {
	if !b.lockedBucket {
		return nil, nil
	}
	return b.headUnlocked(ctx, name, key)
}

// headUnlocked returns the object's head, or with it an ErrLocked error when
// Object Lock still retains it.
func (b *Backend) headUnlocked(ctx context.Context, name, key string) (*s3.HeadObjectOutput, error) {
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.cfg.Bucket, Key: &key})
	if err != nil {
		return nil, classify(name, err)
	}
	if head.ObjectLockLegalHoldStatus == types.ObjectLockLegalHoldStatusOn {
		return head, storage.Permanent(name, fmt.Errorf("%w (legal hold)", ErrLocked))
	}
	if until := aws.ToTime(head.ObjectLockRetainUntilDate); until.After(b.cfg.Now()) {
		return head, storage.Permanent(name, fmt.Errorf("%w (%s retention until %s)",
			ErrLocked, head.ObjectLockMode, until.UTC().Format(time.RFC3339)))
	}
	return head, nil
}

// Open reads length bytes from offset; length < 0 reads to the end.
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
	key := b.key(name)
	in := &s3.GetObjectInput{Bucket: &b.cfg.Bucket, Key: &key}
	switch {
	case length > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		if isInvalidRange(err) {
			// The object exists but is shorter than offset: nothing to read.
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		return nil, fmt.Errorf("open %s: %w", name, classify(name, err))
	}
	return out.Body, nil
}

// Stat returns the object's size and modification time.
func (b *Backend) Stat(ctx context.Context, name string) (storage.ObjectInfo, error) {
	if err := storage.ValidName(name); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	key := b.key(name)
	head, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.cfg.Bucket, Key: &key})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", name, classify(name, err))
	}
	return storage.ObjectInfo{
		Name:    name,
		Size:    aws.ToInt64(head.ContentLength),
		ModTime: aws.ToTime(head.LastModified),
	}, nil
}

// List pages through the objects under prefix, 1000 per request.
func (b *Backend) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("list: %w", err)
	}
	pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: &b.cfg.Bucket,
		Prefix: aws.String(b.key(prefix)),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, classify(prefix, err))
		}
		for _, obj := range page.Contents {
			name, ok := b.name(aws.ToString(obj.Key))
			if !ok {
				continue
			}
			info := storage.ObjectInfo{Name: name, Size: aws.ToInt64(obj.Size), ModTime: aws.ToTime(obj.LastModified)}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove deletes the object. In a versioned bucket it deletes every version
// of the name, so the object cannot reappear; a version that Object Lock
// retains makes Remove fail with ErrLocked rather than leave a delete marker.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := storage.ValidName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	key := b.key(name)
	head, err := b.headUnlocked(ctx, name, key)
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if v := aws.ToString(head.VersionId); v != "" && v != "null" {
		return b.removeVersions(ctx, name, key)
	}
	if _, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.cfg.Bucket, Key: &key}); err != nil {
		return fmt.Errorf("remove %s: %w", name, classify(name, err))
	}
	return nil
}

func (b *Backend) removeVersions(ctx context.Context, name, key string) error {
	pages := s3.NewListObjectVersionsPaginator(b.client, &s3.ListObjectVersionsInput{
		Bucket: &b.cfg.Bucket,
		Prefix: &key,
	})
	var versions []*string
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("remove %s: list versions: %w", name, classify(name, err))
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				versions = append(versions, v.VersionId)
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				versions = append(versions, m.VersionId)
			}
		}
	}
	for _, v := range versions {
		_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b.cfg.Bucket, Key: &key, VersionId: v})
		if err != nil {
			if b.lockedBucket && isAccessDenied(err) {
				// Retention can end between our HEAD and the server's own check,
				// or cover an older version; the server has the last word.
				err = fmt.Errorf("%w (server refused deleting a retained version): %w", ErrLocked, err)
			}
			return fmt.Errorf("remove %s: delete version %s: %w", name, aws.ToString(v), classify(name, err))
		}
	}
	return nil
}

var _ storage.Backend = (*Backend)(nil)
