package agenttest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/local"
)

// Repo is a local repository in a temporary directory.
type Repo struct {
	Dir string
	// Key is key-file material: 64 hex characters.
	Key []byte
}

// NewRepo initialises a repository with small packs.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	r := &Repo{Dir: t.TempDir(), Key: []byte(hex.EncodeToString(secret))}
	be, err := local.New(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := repo.NewKeyFileKEKFromBytes(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Init(context.Background(), be, kek, repo.InitOptions{PackSize: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	return r
}

// Spec names the repository in an assignment.
func (r *Repo) Spec() *cofferv1.RepositorySpec {
	return &cofferv1.RepositorySpec{StorageLocationId: "loc-1", Url: r.Dir, KeyMaterial: r.Key}
}

// OpenLocal is a runner.StorageOpener for plain paths and file:// URLs.
func OpenLocal(_ context.Context, spec *cofferv1.RepositorySpec, create bool) (storage.Backend, error) {
	dir := strings.TrimPrefix(spec.GetUrl(), "file://")
	if create {
		return local.Create(dir)
	}
	return local.New(dir)
}
