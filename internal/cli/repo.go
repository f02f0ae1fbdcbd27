package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/all"
)

// repoFlags are shared by every `coffer repo` command.
type repoFlags struct {
	repo           string
	keyFile        string
	passphraseFile string
	json           bool
	storage        all.Options
}

// RepoCommand returns `coffer repo` and its subcommands.
func RepoCommand() *cobra.Command {
	f := &repoFlags{}
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Work with a repository directly: no controller needed",
		Long: `Work with a repository directly, with nothing but storage and a key.

The repository is named by --repo (or COFFER_REPO): a path, file://, s3://, azure://,
gs:// or sftp:// URL. The key is --key-file (or COFFER_KEY_FILE), or a passphrase in
COFFER_PASSPHRASE (or --passphrase-file).

Exit codes: 0 ok, 1 failure, 2 usage, 3 backup incomplete (unreadable files skipped),
10 repository not found, 11 format too new, 12 wrong key, 13 corruption found.`,
	}
	pf := cmd.PersistentFlags()
	f.addLocationFlags(pf)
	pf.BoolVar(&f.json, "json", false, "print JSON (lines for progress)")
	pf.Int64Var(&f.storage.UploadBPS, "limit-upload", 0, "limit uploads to this many bytes per second (0: unlimited)")
	pf.Int64Var(&f.storage.DownloadBPS, "limit-download", 0, "limit downloads to this many bytes per second (0: unlimited)")
	pf.IntVar(&f.storage.ConcurrencyLimit, "max-connections", 0, "at most this many storage requests at once (0: no limit)")
	cmd.AddCommand(
		initCommand(f),
		backupCommand(f),
		snapshotsCommand(f),
		restoreCommand(f),
		verifyCommand(f),
		keyCommand(f),
	)
	return cmd
}

func (f *repoFlags) backend(ctx context.Context, create bool) (storage.Backend, error) {
	if f.repo == "" {
		return nil, usageErr(errors.New("no repository given: use --repo or COFFER_REPO"))
	}
	opts := f.storage
	opts.Create = create
	be, err := all.Open(ctx, f.repo, opts)
	if err != nil {
		err = fmt.Errorf("open storage %s: %w", all.Redact(f.repo), err)
		if storage.IsNotExist(err) || errors.Is(err, fs.ErrNotExist) {
			return nil, &ExitError{Code: ExitRepoNotFound, Err: err}
		}
		return nil, err
	}
	return be, nil
}

// kek returns the key-encryption key from the flags. create makes a missing
// key file (only `init` does that).
func (f *repoFlags) kek(create bool) (repo.KEK, error) {
	keyFile, pass, err := f.key()
	if err != nil {
		return nil, err
	}
	if keyFile != "" {
		return repo.NewKeyFileKEK(keyFile, create)
	}
	return repo.NewPassphraseKEK(pass), nil
}

// key returns the one key the flags name: a key file path or a
// passphrase; neither or both is a usage error.
func (f *repoFlags) key() (keyFile string, pass []byte, err error) {
	pass, havePass, err := f.passphrase()
	switch {
	case err != nil:
		return "", nil, err
	case f.keyFile != "" && havePass:
		return "", nil, usageErr(errors.New("give either --key-file or a passphrase, not both"))
	case f.keyFile == "" && !havePass:
		return "", nil, usageErr(errors.New("no key given: use --key-file, COFFER_KEY_FILE or COFFER_PASSPHRASE"))
	}
	return f.keyFile, pass, nil
}

func (f *repoFlags) passphrase() ([]byte, bool, error) {
	if f.passphraseFile != "" {
		b, err := os.ReadFile(f.passphraseFile)
		if err != nil {
			return nil, false, fmt.Errorf("read passphrase file: %w", err)
		}
		return trimNewline(b), true, nil
	}
	if p, ok := os.LookupEnv("COFFER_PASSPHRASE"); ok {
		return []byte(p), true, nil
	}
	return nil, false, nil
}

// open opens the repository with its index loaded.
func (f *repoFlags) open(ctx context.Context) (*repo.Repository, error) {
	r, err := f.openKeys(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.LoadIndex(ctx); err != nil {
		r.Backend().Close()
		return nil, fmt.Errorf("load index: %w", err)
	}
	return r, nil
}

// openKeys opens the repository without loading its index: enough for
// key slots and log segments, and fast on large repositories.
func (f *repoFlags) openKeys(ctx context.Context) (*repo.Repository, error) {
	be, err := f.backend(ctx, false)
	if err != nil {
		return nil, err
	}
	kek, err := f.kek(false)
	if err != nil {
		be.Close()
		return nil, err
	}
	r, err := repo.Open(ctx, be, kek)
	if err != nil {
		be.Close()
		return nil, err
	}
	return r, nil
}

// addLocationFlags defines the flags that name a repository and its key.
func (f *repoFlags) addLocationFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.repo, "repo", os.Getenv("COFFER_REPO"), "repository location (path or URL; env COFFER_REPO)")
	fl.StringVar(&f.keyFile, "key-file", os.Getenv("COFFER_KEY_FILE"), "key file (env COFFER_KEY_FILE)")
	fl.StringVar(&f.passphraseFile, "passphrase-file", "", "read the passphrase from this file instead of COFFER_PASSPHRASE")
	fl.StringVar(&f.storage.SFTPKeyFile, "sftp-key", "", "SSH private key for sftp:// repositories")
	fl.StringVar(&f.storage.SFTPKnownHosts, "sftp-known-hosts", "", "known_hosts file for sftp:// repositories")
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func usageErr(err error) error { return &ExitError{Code: ExitUsage, Err: err} }
