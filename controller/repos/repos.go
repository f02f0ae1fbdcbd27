package repos

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/sealer"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/all"
)

// KeyCredential is the credential that holds the repository key.
const KeyCredential = "repositoryKey"

// OptionInit, set to "true" in a location's options, leaves initialising
// the repository to the first agent backup (for storage only agents can
// reach); the controller then does not contact the storage.
const OptionInit = "init"

// Manager implements api.Repositories.
type Manager struct {
	Sealer *sealer.Sealer
}

// Prepare opens the location's repository with creds' key, or initialises
// a repository with a new key when the location holds none.
func (m *Manager) Prepare(ctx context.Context, url string, options, creds map[string]string) (map[string]string, error) {
	if creds == nil {
		creds = map[string]string{}
	}
	if k, ok := creds[KeyCredential]; ok {
		if _, err := ParseKey(k); err != nil {
			return nil, apierr.InvalidErr("credentials."+KeyCredential, err)
		}
	}
	if options[OptionInit] == "true" {
		if _, ok := creds[KeyCredential]; !ok {
			k := crypto.RandomKey()
			creds[KeyCredential] = hex.EncodeToString(k[:])
		}
		return creds, nil
	}
	be, err := all.Open(ctx, url, all.LocationOptions(options, creds, true))
	if err != nil {
		return nil, apierr.Precondition("url", "cannot open storage %s: %v", all.Redact(url), err)
	}
	defer be.Close()
	if k, ok := creds[KeyCredential]; ok {
		kek, _ := KEK(k)
		if _, err := repo.Open(ctx, be, kek); err != nil {
			if errors.Is(err, repo.ErrRepoNotFound) {
				_, err = repo.Init(ctx, be, kek, repo.InitOptions{Label: "coffer controller"})
			}
			if err != nil {
				return nil, apierr.Precondition("credentials."+KeyCredential, "repository at %s: %v", all.Redact(url), err)
			}
		}
		return creds, nil
	}
	k := crypto.RandomKey()
	kek, err := repo.NewKeyFileKEKFromBytes(k[:])
	if err != nil {
		return nil, err
	}
	if _, err := repo.Init(ctx, be, kek, repo.InitOptions{Label: "coffer controller"}); err != nil {
		if errors.Is(err, repo.ErrRepoExists) {
			return nil, apierr.Precondition("credentials."+KeyCredential,
				"storage %s already holds a repository: give its key (64 hex characters) as credentials.%s", all.Redact(url), KeyCredential)
		}
		return nil, apierr.Precondition("url", "initialise repository at %s: %v", all.Redact(url), err)
	}
	creds[KeyCredential] = hex.EncodeToString(k[:])
	return creds, nil
}

// RemoveSnapshot deletes the snapshot manifest of a backup; the data it
// referenced stays until garbage collection.
func (m *Manager) RemoveSnapshot(ctx context.Context, loc catalog.StorageLocation, snapshotID string) error {
	id, err := repo.ParseID(snapshotID)
	if err != nil {
		return fmt.Errorf("snapshot ID %q: %w", snapshotID, err)
	}
	creds, err := m.Sealer.Open(sealer.StorageCredentials, loc.Credentials)
	if err != nil {
		return err
	}
	be, err := all.Open(ctx, loc.URL, all.LocationOptions(loc.Options, creds, false))
	if err != nil {
		return fmt.Errorf("open storage %s: %w", all.Redact(loc.URL), err)
	}
	defer be.Close()
	kek, err := KEK(creds[KeyCredential])
	if err != nil {
		return err
	}
	// Opening proves the key before anything is removed.
	r, err := repo.Open(ctx, be, kek)
	if err != nil {
		return err
	}
	return r.RemoveSnapshot(ctx, id)
}

// ParseKey decodes a repository key: 64 hex characters.
func ParseKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != crypto.KeySize {
		return nil, errors.New("a repository key is 64 hex characters (32 bytes)")
	}
	return b, nil
}

// KEK returns the key-file KEK of a repository key.
func KEK(key string) (repo.KEK, error) {
	b, err := ParseKey(key)
	if err != nil {
		return nil, err
	}
	return repo.NewKeyFileKEKFromBytes(b)
}
