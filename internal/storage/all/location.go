package all

import (
	"os"
	"strings"
)

// LocationOptions builds Options for a storage location registered with the
// controller: options holds plain settings ("region", and for SFTP
// "keyFile" and "knownHosts"); creds holds secrets, named either by their
// environment variable (AWS_ACCESS_KEY_ID, AZURE_STORAGE_KEY, ...) or by
// an alias (accessKeyId, connectionString, ..., and "password" for SFTP).
// Given credentials override the process environment, which remains the
// fallback (instance roles and the like). Controller and agent both use it,
// so a location opens the same way on either side.
func LocationOptions(options, creds map[string]string, create bool) Options {
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
	return Options{
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
