package all

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// LocationOptions builds Options for a storage location registered with the
// controller: options holds plain settings ("region", and for SFTP
// "keyFile" and "knownHosts"); creds holds secrets, named either by their
// environment variable (AWS_ACCESS_KEY_ID, AZURE_STORAGE_KEY, ...) or by
// an alias (accessKeyId, connectionString, ..., and "password" for SFTP).
// Given credentials override the process environment, which remains the
// fallback (instance roles and the like). Options "uploadBytesPerSecond",
// "downloadBytesPerSecond" and "maxConnections" add the limit wrapper;
// values that are not whole non-negative numbers are ignored here and
// refused when the location is registered (ParseLimits). Controller and agent both use it,
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
	limits, _ := ParseLimits(options)
	return Options{
		UploadBPS:        limits.UploadBPS,
		DownloadBPS:      limits.DownloadBPS,
		ConcurrencyLimit: limits.ConcurrencyLimit,
		Create:           create,
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

// Limits are a location's bandwidth and concurrency limits.
type Limits struct {
	UploadBPS, DownloadBPS int64
	ConcurrencyLimit       int
}

// ParseLimits reads the limit options of a location, naming a bad one.
func ParseLimits(options map[string]string) (Limits, error) {
	var l Limits
	for key, dst := range map[string]*int64{"uploadBytesPerSecond": &l.UploadBPS, "downloadBytesPerSecond": &l.DownloadBPS} {
		if v, ok := options[key]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return Limits{}, fmt.Errorf("option %s: %q is not a whole number of bytes per second", key, v)
			}
			*dst = n
		}
	}
	if v, ok := options["maxConnections"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Limits{}, fmt.Errorf("option maxConnections: %q is not a whole number", v)
		}
		l.ConcurrencyLimit = n
	}
	return l, nil
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
