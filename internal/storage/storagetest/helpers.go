package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// errInjected is what the suite's failing readers return.
var errInjected = errors.New("storagetest: injected reader failure")

// randomBytes returns n deterministic pseudo-random bytes for seed.
func randomBytes(seed uint64, n int) []byte {
	buf := make([]byte, n)
	_, _ = newStream(seed).Read(buf)
	return buf
}

// newStream returns an endless deterministic byte stream for seed.
func newStream(seed uint64) io.Reader {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}

// streamHash returns the SHA-256 of length bytes of the stream for seed,
// starting at offset.
func streamHash(seed uint64, offset, length int64) [32]byte {
	r := newStream(seed)
	if _, err := io.CopyN(io.Discard, r, offset); err != nil {
		panic(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, r, length); err != nil {
		panic(err)
	}
	return [32]byte(h.Sum(nil))
}

func (s *suite) save(t *testing.T, be storage.Backend, name string, data []byte) {
	t.Helper()
	if err := be.Save(t.Context(), name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Save(%q, %d bytes): %v", name, len(data), err)
	}
}

func (s *suite) load(t *testing.T, be storage.Backend, name string, offset, length int64) []byte {
	t.Helper()
	rc, err := be.Open(t.Context(), name, offset, length)
	if err != nil {
		t.Fatalf("Open(%q, %d, %d): %v", name, offset, length, err)
	}
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("read %q [%d, +%d): %v", name, offset, length, err)
	}
	return data
}

func (s *suite) wantContent(t *testing.T, be storage.Backend, name string, want []byte) {
	t.Helper()
	got := s.load(t, be, name, 0, -1)
	if !bytes.Equal(got, want) {
		t.Fatalf("content of %q: got %d bytes %s, want %d bytes %s",
			name, len(got), short(got), len(want), short(want))
	}
}

// wantAbsent checks that name is invisible to Stat, Open and List.
func (s *suite) wantAbsent(t *testing.T, be storage.Backend, name string) {
	t.Helper()
	ctx := context.Background() // t.Context may be done in a cleanup
	if info, err := be.Stat(ctx, name); !storage.IsNotExist(err) {
		t.Fatalf("Stat(%q) = %+v, %v; want a not-exist error", name, info, err)
	}
	if rc, err := be.Open(ctx, name, 0, -1); !storage.IsNotExist(err) {
		if err == nil {
			rc.Close()
		}
		t.Fatalf("Open(%q) error = %v; want a not-exist error", name, err)
	}
	err := be.List(ctx, name, func(info storage.ObjectInfo) error {
		if info.Name == name {
			return fmt.Errorf("List(%q) shows %q (%d bytes), which should not exist", name, name, info.Size)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listAll returns name -> size for every object under prefix and fails on
// duplicates.
func (s *suite) listAll(t *testing.T, be storage.Backend, prefix string) map[string]int64 {
	t.Helper()
	got := make(map[string]int64)
	err := be.List(t.Context(), prefix, func(info storage.ObjectInfo) error {
		if _, dup := got[info.Name]; dup {
			return fmt.Errorf("List(%q) returned %q twice", prefix, info.Name)
		}
		if !strings.HasPrefix(info.Name, prefix) {
			return fmt.Errorf("List(%q) returned %q, which lacks the prefix", prefix, info.Name)
		}
		got[info.Name] = info.Size
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

// noSecrets fails if text contains one of the configured secrets.
func (s *suite) noSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range s.opts.Secrets {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("%s reveals a secret: %q", what, text)
		}
	}
}

func (s *suite) noSecretsErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		s.noSecrets(t, "error", err.Error())
	}
}

func short(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("%x...", b[:16])
	}
	return fmt.Sprintf("%x", b)
}

// failingReader yields n bytes of data and then fails with errInjected.
type failingReader struct {
	data []byte
	n    int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errInjected
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n := copy(p, f.data)
	f.data, f.n = f.data[n:], f.n-n
	return n, nil
}

// failAfter wraps r so that it fails with errInjected after n bytes.
type failAfter struct {
	r io.Reader
	n int64
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errInjected
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= int64(n)
	return n, err
}
