package runner

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
)

// StorageOpener opens the backend a RepositorySpec names, with its options
// and credentials. create asks for a missing local directory to be made.
type StorageOpener func(ctx context.Context, spec *cofferv1.RepositorySpec, create bool) (storage.Backend, error)

// KEKFunc turns RepositorySpec.key_material into a key-encryption key.
type KEKFunc func(material []byte) (repo.KEK, error)

// OptionInit in RepositorySpec.options, set to "true", lets a backup
// initialise a repository that does not exist yet. Without it a missing
// repository fails the backup, so a mistyped location never silently
// becomes a new, empty repository.
const OptionInit = "init"

// KeyFileKEK reads key material in key-file format: 32 raw bytes, or 64 hex
// characters with optional surrounding white space.
func KeyFileKEK(material []byte) (repo.KEK, error) {
	secret := material
	if len(material) != 32 {
		text := bytes.TrimSpace(material)
		secret = make([]byte, hex.DecodedLen(len(text)))
		if _, err := hex.Decode(secret, text); err != nil || len(secret) != 32 {
			return nil, errors.New("repository key material: want a 32-byte key (raw or 64 hex characters)")
		}
	}
	return repo.NewKeyFileKEKFromBytes(secret)
}

// openRepository opens (and for backups with OptionInit, creates) the
// repository and loads its index. The caller closes r.Backend().
func (r *Runner) openRepository(ctx context.Context, spec *cofferv1.RepositorySpec, backup bool) (*repo.Repository, error) {
	if spec.GetUrl() == "" {
		return nil, Errorf(CodeBadConfig, false, "assignment names no repository URL")
	}
	if r.opts.OpenStorage == nil {
		return nil, Errorf(CodeUnsupported, false, "this agent has no storage drivers configured")
	}
	initOK := backup && spec.GetOptions()[OptionInit] == "true"
	be, err := r.opts.OpenStorage(ctx, spec, initOK)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	kek, err := r.opts.KEK(spec.GetKeyMaterial())
	if err != nil {
		be.Close()
		return nil, &JobError{Code: CodeWrongKey, Err: err}
	}
	rp, err := repo.Open(ctx, be, kek)
	if errors.Is(err, repo.ErrRepoNotFound) && initOK {
		rp, err = repo.Init(ctx, be, kek, repo.InitOptions{Clock: r.opts.Now, Label: "coffer agent"})
		if errors.Is(err, repo.ErrRepoExists) { // another agent won the race
			rp, err = repo.Open(ctx, be, kek)
		}
	}
	if err != nil {
		be.Close()
		return nil, err
	}
	if err := rp.LoadIndex(ctx); err != nil {
		be.Close()
		return nil, fmt.Errorf("load index of %s: %w", be.Location(), err)
	}
	return rp, nil
}
