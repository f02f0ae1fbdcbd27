package testserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/retry"
)

// Restartable is a server a fault test can crash and bring back.
type Restartable interface {
	Stop()
	Restart(t testing.TB)
}

// crashSize is the object the crash tests upload: several parts or blocks
// with the small part sizes the driver tests configure.
const crashSize = 16 << 20

// crashAfter is how far the upload gets before the server dies.
const crashAfter = 6 << 20

// CheckServerCrash runs the fault-injection tests for one driver against a
// server of its own, which they stop and restart; newBackend must return a
// driver (without wrappers) for that server, each time an empty one.
//
//   - Without retries, a Save during which the server dies fails with an
//     error naming the object, and after a restart no part of it is visible.
//   - With the retry wrapper, and the server restarted while it backs off,
//     the same Save completes with the right content.
//   - Through the faulty wrapper, a Save cut off mid-stream leaves nothing,
//     and a retried one completes.
func CheckServerCrash(t *testing.T, srv Restartable, newBackend func(t *testing.T) storage.Backend) {
	data := make([]byte, crashSize)
	rand.Read(data)

	t.Run("CrashFailsCleanly", func(t *testing.T) {
		be := newBackend(t)
		defer be.Close()
		r := &crashReader{Reader: bytes.NewReader(data), at: crashAfter, crash: srv.Stop}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		err := be.Save(ctx, "crash/obj", r, int64(len(data)))
		srv.Restart(t)
		if err == nil {
			t.Fatal("Save succeeded although the server died mid-upload")
		}
		if !strings.Contains(err.Error(), "crash/obj") {
			t.Errorf("Save error %q does not name the object", err)
		}
		if storage.IsPermanent(err) {
			t.Errorf("Save error %q is permanent; a dead server is transient", err)
		}
		wantAbsent(t, be, "crash/obj")
	})

	t.Run("CrashRetried", func(t *testing.T) {
		var once sync.Once
		restarted := false
		be := retry.New(newBackend(t), retry.Options{
			MaxAttempts:  10,
			InitialDelay: 10 * time.Millisecond,
			Logger:       slog.New(slog.DiscardHandler),
			// Bring the server back while the wrapper backs off, so the next
			// attempt finds it up.
			Sleep: func(ctx context.Context, d time.Duration) error {
				once.Do(func() { srv.Restart(t); restarted = true })
				return ctx.Err()
			},
		})
		defer be.Close()
		r := &crashReader{Reader: bytes.NewReader(data), at: crashAfter, crash: srv.Stop}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		if err := be.Save(ctx, "crash/retried", r, int64(len(data))); err != nil {
			once.Do(func() { srv.Restart(t) })
			t.Fatalf("Save through retry across a server restart: %v", err)
		}
		if !restarted {
			t.Fatal("the server never went down during the upload")
		}
		wantContent(t, be, "crash/retried", data)
	})

	t.Run("FaultyCut", func(t *testing.T) {
		inner := newBackend(t)
		defer inner.Close()
		cut := faulty.New(inner, faulty.Rule{Op: faulty.OpSave, Fault: faulty.FailAfterBytes, Bytes: crashAfter, Count: 1})
		if err := cut.Save(t.Context(), "cut/obj", bytes.NewReader(data), int64(len(data))); err == nil {
			t.Fatal("Save cut off by the faulty wrapper succeeded")
		}
		wantAbsent(t, inner, "cut/obj")
		retried := retry.New(cut, retry.Options{
			Logger: slog.New(slog.DiscardHandler),
			Sleep:  func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		})
		if err := retried.Save(t.Context(), "cut/obj", bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatalf("Save retried after a cut: %v", err)
		}
		wantContent(t, inner, "cut/obj", data)
	})
}

// crashReader calls crash once, after at bytes have been read. It keeps
// Seek so the retry wrapper can rewind it.
type crashReader struct {
	*bytes.Reader
	at    int64
	crash func()
	once  sync.Once
}

func (c *crashReader) Read(p []byte) (int, error) {
	pos := c.Reader.Size() - int64(c.Reader.Len())
	if pos >= c.at {
		c.once.Do(c.crash)
	} else if int64(len(p)) > c.at-pos {
		p = p[:c.at-pos]
	}
	return c.Reader.Read(p)
}

func wantAbsent(t *testing.T, be storage.Backend, name string) {
	t.Helper()
	if _, err := be.Stat(t.Context(), name); !storage.IsNotExist(err) {
		t.Errorf("Stat(%q) after a failed save = %v, want not-exist", name, err)
	}
	err := be.List(t.Context(), "", func(oi storage.ObjectInfo) error {
		if oi.Name == name {
			return errors.New("listed")
		}
		return nil
	})
	if err != nil {
		t.Errorf("List after a failed save: %v (want %q absent)", err, name)
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
		t.Fatalf("%q: read %d bytes that differ from the %d saved", name, len(got), len(want))
	}
}
