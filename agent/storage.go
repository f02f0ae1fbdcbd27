package agent

import (
	"context"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/all"
)

// OpenStorage is the default runner.StorageOpener: RepositorySpec.url
// through the internal/storage/all registry. Credentials are given by
// their environment variable names (AWS_ACCESS_KEY_ID, AZURE_STORAGE_KEY,
// ...) or the aliases in credentialEnv, and override the agent's own
// environment, which remains the fallback (instance roles and the like).
// Options: "region", "keyFile" and "knownHosts" (SFTP); other backend
// settings go in the URL's query. See all.LocationOptions.
func OpenStorage(ctx context.Context, spec *cofferv1.RepositorySpec, create bool) (storage.Backend, error) {
	return all.Open(ctx, spec.GetUrl(), all.LocationOptions(spec.GetOptions(), spec.GetCredentials(), create))
}
