package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/cofferhq/coffer/controller/api"
	"github.com/cofferhq/coffer/controller/repos"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/repo"
)

// bootstrapAdmin mints the first admin token when the catalog has no API
// token at all. The plaintext exists only in the return value (and the
// admin token file, when configured).
func bootstrapAdmin(ctx context.Context, d *api.Deps, file string) (string, error) {
	_, n, err := d.Store.ListAPITokens(ctx, catalog.APITokenFilter{IncludeRevoked: true, Page: catalog.Page{Limit: 1}})
	if err != nil || n > 0 {
		return "", err
	}
	plain, _, err := d.MintAPIToken(ctx, catalog.APIToken{Name: "admin", Role: catalog.RoleAdmin}, "system:bootstrap")
	if err != nil {
		return "", fmt.Errorf("mint admin token: %w", err)
	}
	if file != "" {
		if err := os.WriteFile(file, []byte(plain+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write admin token file: %w", err)
		}
		if err := os.Chmod(file, 0o600); err != nil { // an existing file keeps its mode in WriteFile
			return "", fmt.Errorf("admin token file: %w", err)
		}
	}
	return plain, nil
}

// bootstrapStorage creates the configured default storage location when
// the catalog has none, with its repository key in a key file so that the
// repository stays usable with `coffer repo` alone.
func bootstrapStorage(ctx context.Context, d *api.Deps, def DefaultLocation) error {
	if def.URL == "" {
		return nil
	}
	_, n, err := d.Store.ListStorageLocations(ctx, catalog.Page{Limit: 1})
	if err != nil || n > 0 {
		return err
	}
	creds := map[string]string{}
	if def.KeyFile != "" {
		key, err := keyFromFile(def.KeyFile)
		if err != nil {
			return err
		}
		creds[repos.KeyCredential] = key
	}
	if creds, err = d.Repos.Prepare(ctx, def.URL, nil, creds); err != nil {
		return fmt.Errorf("default storage location: %w", err)
	}
	name := def.Name
	if name == "" {
		name = "default"
	}
	_, _, err = d.CreateLocation(ctx, catalog.StorageLocation{Name: name, URL: def.URL, IsDefault: true}, creds, "system:bootstrap")
	return err
}

// keyFromFile reads a key file, creating it (0600) when missing.
func keyFromFile(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if _, err := repo.NewKeyFileKEK(path, true); err != nil {
			return "", err
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read repository key file: %w", err)
	}
	if _, err := repos.ParseKey(string(raw)); err != nil {
		return "", fmt.Errorf("repository key file %s: %w", path, err)
	}
	return strings.TrimSpace(string(raw)), nil
}
