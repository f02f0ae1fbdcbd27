package agent

import (
	"context"
	"os"
	"strings"

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
// settings go in the URL's query.
//
// The mapping matches the controller's (controller/repos.StorageOptions);
// both should move into internal/storage/all.
func OpenStorage(ctx context.Context, spec *cofferv1.RepositorySpec, create bool) (storage.Backend, error) {
	return all.Open(ctx, spec.GetUrl(), storageOptions(spec.GetOptions(), spec.GetCredentials(), create))
}

func storageOptions(options, creds map[string]string, create bool) all.Options {
	env := map[string]string{}
	for k, v := range creds {
		if name, ok := credentialEnv[k]; ok {
			env[name] = v
		} else if strings.ToUpper(k) == k {
			env[k] = v
		}
	}
	if r := options["region"]; r != "" {
		env["AWS_REGION"] = r
	}
	return all.Options{
		Create: create,
		Env: func(name string) string {
			if v, ok := env[name]; ok {
				return v
			}
			return os.Getenv(name)
		},
		SFTPPassword:   creds["password"],
		SFTPKeyFile:    options["keyFile"],
		SFTPKnownHosts: options["knownHosts"],
	}
}

// credentialEnv maps credential aliases to environment variable names.
var credentialEnv = map[string]string{
	"accessKeyId":      "AWS_ACCESS_KEY_ID",
	"secretAccessKey":  "AWS_SECRET_ACCESS_KEY",
	"sessionToken":     "AWS_SESSION_TOKEN",
	"connectionString": "AZURE_STORAGE_CONNECTION_STRING",
	"accountName":      "AZURE_STORAGE_ACCOUNT",
	"accountKey":       "AZURE_STORAGE_KEY",
	"sasToken":         "AZURE_STORAGE_SAS_TOKEN",
}
