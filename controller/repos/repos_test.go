package repos

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/sealer"
	"github.com/cofferhq/coffer/internal/catalog"
)

func TestPrepareInitialisesThenReopensWithTheKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := sealer.New([32]byte{7})
	m := &Manager{Sealer: s}
	url := "file://" + filepath.Join(t.TempDir(), "repo")
	creds, err := m.Prepare(ctx, url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := creds[KeyCredential]
	if _, err := ParseKey(key); err != nil {
		t.Fatalf("generated key %q: %v", key, err)
	}
	// The same key reopens it; no key or a wrong key is refused, naming
	// the credential.
	if _, err := m.Prepare(ctx, url, nil, map[string]string{KeyCredential: key}); err != nil {
		t.Fatalf("reopen with its key: %v", err)
	}
	for name, c := range map[string]map[string]string{
		"no key":    nil,
		"wrong key": {KeyCredential: strings.Repeat("ab", 32)},
		"bad key":   {KeyCredential: "xyz"},
	} {
		_, err := m.Prepare(ctx, url, nil, c)
		var pe *apierr.PreconditionError
		var fe *apierr.FieldError
		switch {
		case err == nil:
			t.Errorf("%s: accepted", name)
		case !(errors.As(err, &pe) && pe.Field == "credentials."+KeyCredential) && !(errors.As(err, &fe) && fe.Field == "credentials."+KeyCredential):
			t.Errorf("%s: %v does not name credentials.%s", name, err, KeyCredential)
		}
	}
	// RemoveSnapshot tolerates an already absent manifest but needs the key.
	sealed, _ := s.Seal(sealer.StorageCredentials, creds)
	loc := catalog.StorageLocation{URL: url, Credentials: sealed}
	if err := m.RemoveSnapshot(ctx, loc, strings.Repeat("0", 64)); err != nil {
		t.Fatalf("remove absent snapshot: %v", err)
	}
	if err := m.RemoveSnapshot(ctx, loc, "not-an-id"); err == nil {
		t.Fatal("malformed snapshot ID accepted")
	}
}

func TestInitOptionLeavesStorageAlone(t *testing.T) {
	t.Parallel()
	m := &Manager{Sealer: sealer.New([32]byte{1})}
	creds, err := m.Prepare(context.Background(), "s3://unreachable-bucket/x", map[string]string{OptionInit: "true"}, nil)
	if err != nil || creds[KeyCredential] == "" {
		t.Fatalf("init option: %v %v", creds, err)
	}
}
