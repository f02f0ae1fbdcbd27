package all

import (
	"context"
	"fmt"
	"net/url"
	"os/user"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/azure"
	"github.com/cofferhq/coffer/internal/storage/gcs"
	"github.com/cofferhq/coffer/internal/storage/local"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/s3"
	"github.com/cofferhq/coffer/internal/storage/sftp"
)

// openLocal: a plain path, or file:///abs/path (file://localhost/... too).
func openLocal(_ context.Context, u *url.URL, opts *Options) (storage.Backend, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("file URL %s: host %q: only local paths are supported", Redact(u.String()), u.Host)
	}
	if err := newQuery(u).unknown(); err != nil {
		return nil, err
	}
	dir := u.Path
	if dir == "" {
		dir = u.Opaque
	}
	if dir == "" {
		return nil, fmt.Errorf("file URL: empty path")
	}
	if opts.Create {
		return local.Create(dir)
	}
	return local.New(dir)
}

// openMem: mem:// gives a new, empty in-memory backend on every Open.
func openMem(_ context.Context, u *url.URL, _ *Options) (storage.Backend, error) {
	q := newQuery(u)
	immutable, err := q.bool("immutable")
	if err != nil {
		return nil, err
	}
	if err := q.unknown(); err != nil {
		return nil, err
	}
	if immutable {
		return mem.New(mem.WithImmutable()), nil
	}
	return mem.New(), nil
}

// bucketAndPrefix splits scheme://bucket/prefix.
func bucketAndPrefix(u *url.URL, what string) (string, string, error) {
	if u.Host == "" {
		return "", "", fmt.Errorf("%s URL %s: no %s name (want %s://%s/prefix)", u.Scheme, Redact(u.String()), what, u.Scheme, what)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// openS3: s3://[access-key:secret@]bucket/prefix?endpoint=&region=&...
func openS3(ctx context.Context, u *url.URL, opts *Options) (storage.Backend, error) {
	bucket, prefix, err := bucketAndPrefix(u, "bucket")
	if err != nil {
		return nil, err
	}
	q := newQuery(u)
	cfg := s3.Config{
		Bucket:               bucket,
		Prefix:               prefix,
		Endpoint:             q.str("endpoint"),
		Region:               q.str("region"),
		Profile:              q.str("profile"),
		StorageClass:         q.str("storage-class"),
		ServerSideEncryption: q.str("sse"),
		KMSKeyID:             q.str("sse-kms-key-id"),
		ObjectLockMode:       q.str("object-lock-mode"),
	}
	if cfg.PathStyle, err = q.bool("path-style"); err != nil {
		return nil, err
	}
	days, err := q.int("object-lock-days")
	if err != nil {
		return nil, err
	}
	cfg.ObjectLockDays = int(days)
	if cfg.PartSize, err = sizeParam(q, "part-size"); err != nil {
		return nil, err
	}
	concurrency, err := q.int("concurrency")
	if err != nil {
		return nil, err
	}
	cfg.Concurrency = int(concurrency)
	if err := q.unknown(); err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = firstNonEmpty(opts.getenv("AWS_REGION"), opts.getenv("AWS_DEFAULT_REGION"))
	}
	if cfg.Profile == "" {
		cfg.Profile = opts.getenv("AWS_PROFILE")
	}
	if u.User != nil {
		cfg.AccessKeyID = u.User.Username()
		cfg.SecretAccessKey, _ = u.User.Password()
	} else {
		cfg.AccessKeyID = opts.getenv("AWS_ACCESS_KEY_ID")
		cfg.SecretAccessKey = opts.getenv("AWS_SECRET_ACCESS_KEY")
		cfg.SessionToken = opts.getenv("AWS_SESSION_TOKEN")
	}
	if opts.S3ObjectLockMode != "" {
		cfg.ObjectLockMode, cfg.ObjectLockDays = opts.S3ObjectLockMode, opts.S3ObjectLockDays
	}
	if opts.Create {
		return s3.Create(ctx, cfg)
	}
	return s3.New(ctx, cfg)
}

// openAzure: azure://[account[:key]@]container/prefix?endpoint=&sas=&...
func openAzure(ctx context.Context, u *url.URL, opts *Options) (storage.Backend, error) {
	container, prefix, err := bucketAndPrefix(u, "container")
	if err != nil {
		return nil, err
	}
	q := newQuery(u)
	cfg := azure.Config{
		Container:   container,
		Prefix:      prefix,
		AccountName: q.str("account"),
		Endpoint:    q.str("endpoint"),
		SASToken:    q.str("sas"),
		AccessTier:  q.str("access-tier"),
	}
	if cfg.BlockSize, err = sizeParam(q, "block-size"); err != nil {
		return nil, err
	}
	concurrency, err := q.int("concurrency")
	if err != nil {
		return nil, err
	}
	cfg.Concurrency = int(concurrency)
	if err := q.unknown(); err != nil {
		return nil, err
	}
	if u.User != nil {
		cfg.AccountName = u.User.Username()
		cfg.AccountKey, _ = u.User.Password()
	}
	if cfg.AccountName == "" {
		cfg.AccountName = opts.getenv("AZURE_STORAGE_ACCOUNT")
	}
	if cfg.AccountKey == "" && cfg.SASToken == "" {
		cs := opts.getenv("AZURE_STORAGE_CONNECTION_STRING")
		switch {
		case cs != "" && (cfg.AccountName == "" || strings.Contains(strings.ToLower(cs), "accountname="+strings.ToLower(cfg.AccountName))):
			cfg.ConnectionString = cs
		case opts.getenv("AZURE_STORAGE_KEY") != "":
			cfg.AccountKey = opts.getenv("AZURE_STORAGE_KEY")
		default:
			cfg.SASToken = opts.getenv("AZURE_STORAGE_SAS_TOKEN")
		}
	}
	if opts.Create {
		return azure.Create(ctx, cfg)
	}
	return azure.New(ctx, cfg)
}

// openGCS: gs://bucket/prefix?endpoint=&project=&credentials=&storage-class=
func openGCS(ctx context.Context, u *url.URL, opts *Options) (storage.Backend, error) {
	bucket, prefix, err := bucketAndPrefix(u, "bucket")
	if err != nil {
		return nil, err
	}
	q := newQuery(u)
	cfg := gcs.Config{
		Bucket:          bucket,
		Prefix:          prefix,
		Endpoint:        q.str("endpoint"),
		ProjectID:       q.str("project"),
		CredentialsFile: q.str("credentials"),
		StorageClass:    q.str("storage-class"),
	}
	chunk, err := sizeParam(q, "chunk-size")
	if err != nil {
		return nil, err
	}
	cfg.ChunkSize = int(chunk)
	if err := q.unknown(); err != nil {
		return nil, err
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = opts.getenv("STORAGE_EMULATOR_HOST")
	}
	if cfg.CredentialsFile == "" && cfg.Endpoint == "" {
		cfg.CredentialsFile = opts.getenv("GOOGLE_APPLICATION_CREDENTIALS")
	}
	if cfg.ProjectID == "" {
		cfg.ProjectID = opts.getenv("GOOGLE_CLOUD_PROJECT")
	}
	if opts.Create {
		return gcs.Create(ctx, cfg)
	}
	return gcs.New(ctx, cfg)
}

// openSFTP: sftp://[user[:password]@]host[:port]/abs/path or /~/home/relative
// ?key=FILE&known_hosts=FILE&insecure-ignore-host-key=true
func openSFTP(ctx context.Context, u *url.URL, opts *Options) (storage.Backend, error) {
	if u.Hostname() == "" {
		return nil, fmt.Errorf("sftp URL %s: no host (want sftp://user@host:port/path)", Redact(u.String()))
	}
	q := newQuery(u)
	cfg := sftp.Config{
		Host:           u.Hostname(),
		Path:           u.Path,
		KeyFile:        q.str("key"),
		KnownHostsFile: q.str("known_hosts"),
	}
	insecure, err := q.bool("insecure-ignore-host-key")
	if err != nil {
		return nil, err
	}
	if err := q.unknown(); err != nil {
		return nil, err
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("sftp URL %s: bad port %q", Redact(u.String()), p)
		}
		cfg.Port = port
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if cfg.User == "" {
		if cur, err := user.Current(); err == nil {
			cfg.User = cur.Username
		}
	}
	cfg.KeyFile = firstNonEmpty(opts.SFTPKeyFile, cfg.KeyFile)
	cfg.KnownHostsFile = firstNonEmpty(opts.SFTPKnownHosts, cfg.KnownHostsFile)
	cfg.Password = firstNonEmpty(opts.SFTPPassword, cfg.Password)
	cfg.InsecureIgnoreHostKey = opts.SFTPInsecureIgnoreHostKey || insecure
	if opts.Create {
		return sftp.Create(ctx, cfg)
	}
	return sftp.New(ctx, cfg)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// sizeParam reads a byte count such as 8388608, 8MiB or 8M.
func sizeParam(q *query, name string) (int64, error) {
	s := q.str(name)
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRight(s, "KMGiBkmgb")
	unit := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(s[len(num):], "B"), "b"))
	mult := map[string]int64{"": 1, "K": 1 << 10, "KI": 1 << 10, "M": 1 << 20, "MI": 1 << 20, "G": 1 << 30, "GI": 1 << 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n < 0 {
		return 0, fmt.Errorf("%s URL option %s=%q: want a byte count such as 8MiB", q.scheme, name, s)
	}
	return n * mult, nil
}
