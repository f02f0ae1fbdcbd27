package enroll

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzNewIdentity feeds certificate and CA bytes as they arrive from the
// controller (EnrollResponse) or from the data directory: never a panic,
// and nothing that does not match the key is accepted.
func FuzzNewIdentity(f *testing.F) {
	key, err := newKey()
	if err != nil {
		f.Fatal(err)
	}
	keyPEM, _ := encodeKey(key)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []byte{})
	f.Add([]byte{}, []byte("garbage"))
	f.Fuzz(func(t *testing.T, certPEM, caPEM []byte) {
		id, err := newIdentity("agent-1", keyPEM, certPEM, caPEM, time.Now())
		if err == nil && id.Certificate.Leaf == nil {
			t.Fatal("identity without a parsed certificate")
		}
	})
}

// FuzzLoadIdentityRecord feeds identity.json contents to Load.
func FuzzLoadIdentityRecord(f *testing.F) {
	f.Add([]byte(`{"agentId":"a","generation":1}`))
	f.Add([]byte(`{"generation":-1}`))
	f.Add([]byte(`{"generation":"../../etc/passwd"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, identityFile), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := (Store{Dir: dir}).Load(time.Now()); err == nil {
			t.Fatal("loaded an identity without key and certificate files")
		}
	})
}
