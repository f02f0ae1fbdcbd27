package all

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/limit"
	"github.com/cofferhq/coffer/internal/storage/metrics"
	"github.com/cofferhq/coffer/internal/storage/retry"
)

// Options configure Open. The zero value opens an existing repository with
// credentials from the process environment and default retries.
type Options struct {
	// Create makes the directory, bucket or container when it is missing
	// and the credentials allow it.
	Create bool
	// Env looks up environment variables; nil means os.Getenv.
	Env func(string) string

	// SFTP login; each overrides the URL's query (key, known_hosts) and
	// password.
	SFTPKeyFile               string
	SFTPKnownHosts            string
	SFTPPassword              string
	SFTPInsecureIgnoreHostKey bool

	// S3 Object Lock retention for every saved object; they override the
	// URL's object-lock-mode and object-lock-days.
	S3ObjectLockMode string
	S3ObjectLockDays int

	// Retry tunes the retry wrapper; NoRetry leaves it out (for tests of
	// a driver's own behaviour).
	Retry   retry.Options
	NoRetry bool
	// ConcurrencyLimit, UploadBPS and DownloadBPS (bytes per second) add
	// the limit wrapper when any is non-zero.
	ConcurrencyLimit int
	UploadBPS        int64
	DownloadBPS      int64
	// Metrics, when set, counts requests, errors, bytes and latency under
	// the backend label of the URL's scheme.
	Metrics *metrics.Metrics
}

func (o *Options) getenv(name string) string {
	if o.Env == nil {
		return os.Getenv(name)
	}
	return o.Env(name)
}

// opener opens one scheme's driver from a parsed URL.
type opener func(ctx context.Context, u *url.URL, opts *Options) (storage.Backend, error)

// drivers is every scheme this binary supports.
var drivers = []struct {
	scheme string
	open   opener
}{
	{"file", openLocal},
	{"s3", openS3},
	{"azure", openAzure},
	{"gs", openGCS},
	{"sftp", openSFTP},
	{"mem", openMem},
}

// Schemes lists the supported URL schemes.
func Schemes() []string {
	var s []string
	for _, d := range drivers {
		s = append(s, d.scheme)
	}
	return s
}

// Open opens the backend that rawURL names, wrapped as opts asks. A plain
// path (no "scheme://") is a local directory.
//
// Environment variables read (through opts.Env):
//   - s3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
//     AWS_PROFILE, AWS_REGION or AWS_DEFAULT_REGION; without keys the AWS
//     SDK's default chain (shared files, web identity, instance role).
//   - azure: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with
//     AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.
//   - gs: GOOGLE_APPLICATION_CREDENTIALS, STORAGE_EMULATOR_HOST,
//     GOOGLE_CLOUD_PROJECT.
func Open(ctx context.Context, rawURL string, opts Options) (storage.Backend, error) {
	u, err := parse(rawURL)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(drivers, func(d struct {
		scheme string
		open   opener
	}) bool {
		return d.scheme == u.Scheme
	})
	if i < 0 {
		return nil, fmt.Errorf("unknown storage scheme %q: want one of %s", u.Scheme, strings.Join(Schemes(), ", "))
	}
	be, err := drivers[i].open(ctx, u, &opts)
	if err != nil {
		return nil, err
	}
	return wrap(be, u.Scheme, &opts), nil
}

// wrap applies retry(limit(metrics(driver))), leaving out what opts does
// not ask for.
func wrap(be storage.Backend, scheme string, opts *Options) storage.Backend {
	if opts.Metrics != nil {
		be = opts.Metrics.Wrap(be, scheme)
	}
	if opts.ConcurrencyLimit > 0 || opts.UploadBPS > 0 || opts.DownloadBPS > 0 {
		be = limit.New(be, limit.Options{
			Concurrency:         opts.ConcurrencyLimit,
			UploadBytesPerSec:   opts.UploadBPS,
			DownloadBytesPerSec: opts.DownloadBPS,
		})
	}
	if !opts.NoRetry {
		be = retry.New(be, opts.Retry)
	}
	return be
}

// parse turns rawURL into a URL; a plain path becomes file://. Parse errors
// quote the redacted URL only.
func parse(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("storage URL is empty")
	}
	if !strings.Contains(rawURL, "://") {
		return &url.URL{Scheme: "file", Path: rawURL}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage URL %s: malformed", Redact(rawURL))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}
