package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeySlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	pass := NewPassphraseKEKWithParams([]byte("correct horse"), cheapKDF)
	idB, err := r.AddKey(ctx, pass, "ops team")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := r.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("keys %+v", keys)
	}
	var current, other KeySlotInfo
	for _, k := range keys {
		if k.Err != nil {
			t.Fatalf("slot %s: %v", k.ID, k.Err)
		}
		if k.Current {
			current = k
		} else {
			other = k
		}
	}
	if current.Kind != KindKeyFile || other.ID != idB || other.Kind != KindPassphrase || other.Label != "ops team" {
		t.Fatalf("current %+v other %+v", current, other)
	}

	// The new passphrase opens the repository; its session cannot remove
	// its own slot but can remove the key-file slot.
	r2, err := Open(ctx, be, NewPassphraseKEK([]byte("correct horse")))
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.RemoveKey(ctx, idB); !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("removing the slot in use: %v", err)
	}
	if err := r.RemoveKey(ctx, "zz"); err == nil {
		t.Fatal("removing a nonexistent slot succeeded")
	}
	if err := r2.RemoveKey(ctx, current.ID[:8]); err != nil {
		t.Fatalf("remove by prefix: %v", err)
	}
	if _, err := Open(ctx, be, testKEK(t, 1)); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("removed key file still opens: %v", err)
	}
	// One slot left: refused even from a session opened with another key.
	if err := r.RemoveKey(ctx, idB); !errors.Is(err, ErrKeyInUse) || !strings.Contains(err.Error(), "last key slot") {
		t.Fatalf("removing the last slot: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "repo.key")
	if _, err := NewKeyFileKEK(path, false); err == nil {
		t.Fatal("missing key file accepted without create")
	}
	kek, err := NewKeyFileKEK(path, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	if len(raw) != 65 || raw[64] != '\n' {
		t.Fatalf("key file is not 64 hex characters and a newline: %q", raw)
	}
	be := newBackend()
	if _, err := Init(ctx, be, kek, InitOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := NewKeyFileKEK(path, true) // existing file is read, not replaced
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, be, again); err != nil {
		t.Fatalf("reopen with key file: %v", err)
	}
	if s := again.(interface{ String() string }).String(); strings.Contains(s, string(raw[:16])) {
		t.Fatalf("String leaks key: %s", s)
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := NewKeyFileKEK(path, false); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("bad key file: %v", err)
	}
}
