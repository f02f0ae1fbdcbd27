package s3_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/s3"
	"github.com/cofferhq/coffer/internal/storage/testserver"
)

// settableClock is a clock the test moves; it starts at the real time.
type settableClock struct{ offset atomic.Int64 }

func (c *settableClock) Now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *settableClock) Set(d time.Duration) { c.offset.Store(int64(d)) }

func lockedConfig(t *testing.T, clock *settableClock) s3.Config {
	cfg := testConfig(t, "locked")
	cfg.ObjectLockMode = "COMPLIANCE"
	cfg.ObjectLockDays = 1
	cfg.Now = clock.Now
	return cfg
}

func TestObjectLockRefusesRemoveAndOverwrite(t *testing.T) {
	t.Parallel()
	clock := &settableClock{}
	be := newBackend(t, lockedConfig(t, clock))
	ctx := t.Context()
	data := []byte("immutable backup data")
	if err := be.Save(ctx, "snapshots/one", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Save: %v", err)
	}

	err := be.Remove(ctx, "snapshots/one")
	wantLocked(t, "Remove", err, "snapshots/one")
	err = be.Save(ctx, "snapshots/one", strings.NewReader("other"), 5)
	wantLocked(t, "Save over", err, "snapshots/one")
	wantContent(t, be, "snapshots/one", data)

}

// TestObjectLockWithoutLockConfig opens a locked bucket without configuring
// retention: the objects others locked stay protected.
func TestObjectLockWithoutLockConfig(t *testing.T) {
	t.Parallel()
	cfg := lockedConfig(t, &settableClock{})
	be := newBackend(t, cfg)
	if err := be.Save(t.Context(), "index/1", strings.NewReader("idx"), 3); err != nil {
		t.Fatalf("Save: %v", err)
	}
	cfg.ObjectLockMode, cfg.ObjectLockDays = "", 0
	plain, err := s3.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("s3.New: %v", err)
	}
	wantLocked(t, "Remove", plain.Remove(t.Context(), "index/1"), "index/1")
	wantLocked(t, "Save over", plain.Save(t.Context(), "index/1", strings.NewReader("new"), 3), "index/1")
	wantContent(t, plain, "index/1", []byte("idx"))
}

// TestObjectLockEnforcedByServer deletes the locked version with the SDK
// directly, bypassing the driver's own check, to show versitygw refuses too.
func TestObjectLockEnforcedByServer(t *testing.T) {
	t.Parallel()
	clock := &settableClock{}
	cfg := lockedConfig(t, clock)
	be := newBackend(t, cfg)
	ctx := t.Context()
	if err := be.Save(ctx, "pack", strings.NewReader("abc"), 3); err != nil {
		t.Fatalf("Save: %v", err)
	}
	client := rawClient(t)
	key := cfg.Prefix + "/pack"
	head, err := client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &cfg.Bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if head.ObjectLockMode != "COMPLIANCE" || head.ObjectLockRetainUntilDate == nil {
		t.Fatalf("object has lock mode %q until %v, want COMPLIANCE with a date", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
	_, err = client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &cfg.Bucket, Key: &key, VersionId: head.VersionId})
	if err == nil {
		t.Fatal("server deleted a version under COMPLIANCE retention")
	}
}

// TestObjectLockExpires saves with a clock set so that retention ends two
// seconds from now, then removes the object once it has.
func TestObjectLockExpires(t *testing.T) {
	t.Parallel()
	clock := &settableClock{}
	be := newBackend(t, lockedConfig(t, clock))
	ctx := t.Context()
	clock.Set(-24*time.Hour + 2*time.Second)
	if err := be.Save(ctx, "short", strings.NewReader("x"), 1); err != nil {
		t.Fatalf("Save: %v", err)
	}
	clock.Set(0)
	wantLocked(t, "Remove before retention ends", be.Remove(ctx, "short"), "short")

	deadline := time.Now().Add(20 * time.Second)
	for {
		err := be.Remove(ctx, "short")
		if err == nil {
			break
		}
		if !errors.Is(err, s3.ErrLocked) || time.Now().After(deadline) {
			t.Fatalf("Remove after retention ended: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := be.Stat(ctx, "short"); !storage.IsNotExist(err) {
		t.Fatalf("Stat after Remove = %v, want not-exist", err)
	}
}

func wantLocked(t *testing.T, op string, err error, name string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s of a locked object succeeded", op)
	}
	if !storage.IsPermanent(err) || !errors.Is(err, s3.ErrLocked) {
		t.Fatalf("%s of a locked object = %v, want a permanent error wrapping s3.ErrLocked", op, err)
	}
	if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "retention") {
		t.Fatalf("%s error %q does not name the object and its retention", op, err)
	}
}

func wantContent(t *testing.T, be storage.Backend, name string, want []byte) {
	t.Helper()
	rc, err := be.Open(t.Context(), name, 0, -1)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%q holds %q, want %q", name, got, want)
	}
}

func rawClient(t *testing.T) *awss3.Client {
	srv := testserver.S3(t)
	return awss3.New(awss3.Options{
		Region:       srv.Region,
		BaseEndpoint: aws.String(srv.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
}
