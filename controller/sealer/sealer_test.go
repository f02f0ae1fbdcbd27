package sealer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpenRoundTripAndPurposeBinding(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "controller.key")
	k, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || again != k {
		t.Fatalf("reloaded key differs (%v)", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode().Perm())
	}
	s := New(k)
	in := map[string]string{"password": "hunter2"}
	sealed, err := s.Seal(SourceSecrets, in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("hunter2")) {
		t.Fatal("plaintext visible in sealed value")
	}
	out, err := s.Open(SourceSecrets, sealed)
	if err != nil || out["password"] != "hunter2" {
		t.Fatalf("Open = %v, %v", out, err)
	}
	if _, err := s.Open(StorageCredentials, sealed); err == nil {
		t.Fatal("value sealed for sources opened as storage credentials")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(SourceSecrets, sealed); err == nil {
		t.Fatal("tampered value opened")
	}
}

func FuzzOpen(f *testing.F) {
	s := New([32]byte{1})
	v, _ := s.Seal(SourceSecrets, map[string]string{"a": "b"})
	f.Add(v)
	f.Fuzz(func(t *testing.T, b []byte) { s.Open(SourceSecrets, b) })
}
