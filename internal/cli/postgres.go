package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
)

// pgFlags are the connection and source settings of `coffer postgres`.
type pgFlags struct {
	repo         repoFlags
	json         bool
	cfg          postgres.Config
	passwordFile string
}

// PostgresCommand returns `coffer postgres` and its subcommands: backups,
// restores and restore tests without a controller.
func PostgresCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "postgres",
		Short: "Back up and restore PostgreSQL directly: no controller needed",
		Long: `Back up and restore PostgreSQL with nothing but the server, a repository and a key.

Physical backups read the data directory next to the server between pg_backup_start and
pg_backup_stop and are complete only once the WAL they need is archived (archive_command =
'coffer wal-push --source NAME ...'); they restore to any time in the archived window.
Logical backups stream pg_dump into the repository and restore with pg_restore --jobs.

Passwords never go on the command line: use --password-file, COFFER_PG_PASSWORD or a libpq
passfile (--passfile / PGPASSFILE).`,
	}
	cmd.AddCommand(pgCheckCommand(), pgBackupCommand(), pgRestoreCommand(), pgVerifyCommand(), pgListCommand())
	return cmd
}

// addConnFlags registers the source's connection flags.
func addConnFlags(cmd *cobra.Command, f *pgFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.Name, "source", os.Getenv("COFFER_SOURCE"), "source name: WAL and backups are stored under it (env COFFER_SOURCE)")
	fl.StringVar(&f.cfg.Host, "host", "", "server host or Unix socket directory (default /var/run/postgresql)")
	fl.IntVar(&f.cfg.Port, "port", 0, "server port (default 5432)")
	fl.StringVar(&f.cfg.User, "user", "", "user to connect as (default postgres)")
	fl.StringVar(&f.cfg.Database, "database", "", "database for control queries (default postgres)")
	fl.StringVar(&f.cfg.Passfile, "passfile", "", "libpq password file")
	fl.StringVar(&f.passwordFile, "password-file", "", "file holding the password (else COFFER_PG_PASSWORD)")
	fl.StringVar(&f.cfg.SSLMode, "sslmode", "", "libpq sslmode")
	fl.StringVar(&f.cfg.DataDir, "pgdata", "", "the server's data directory (physical backups)")
	fl.StringVar(&f.cfg.Method, "method", "physical", "physical or logical")
	fl.StringVar(&f.cfg.BinDir, "bin-dir", "", "PostgreSQL binaries (default /usr/lib/postgresql/<server major>/bin)")
	fl.StringSliceVar(&f.cfg.Databases, "databases", nil, "logical: databases to dump (default all)")
	fl.IntVar(&f.cfg.Jobs, "jobs", 0, "pg_restore --jobs (default 2)")
	fl.IntVar(&f.cfg.WALTimeoutSeconds, "wal-timeout", 0, "seconds to wait for a backup's WAL to be archived (default 300)")
	fl.IntVar(&f.cfg.PageChunkSize, "page-chunk-size", 0, "fixed chunk size for relation files, a multiple of 8192 (default 1048576)")
}

func (f *pgFlags) source() (*postgres.Source, error) {
	if f.cfg.Name == "" {
		return nil, usageErr(errors.New("--source is required"))
	}
	pw := os.Getenv("COFFER_PG_PASSWORD")
	if f.passwordFile != "" {
		b, err := os.ReadFile(f.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("read password file: %w", err)
		}
		pw = string(trimNewline(b))
	}
	src, err := postgres.NewSource(f.cfg, pw)
	if err != nil {
		return nil, usageErr(err)
	}
	return src, nil
}

func pgCheckCommand() *cobra.Command {
	f := &pgFlags{}
	cmd := &cobra.Command{
		Use:   "check --source NAME [--pgdata DIR] [connection flags]",
		Short: "Check that a server is ready for Coffer's backups and say what to fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := f.source()
			if err != nil {
				return err
			}
			rep, err := src.Check(cmd.Context())
			if err != nil {
				return err
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			ok := len(rep.Problems) == 0
			lines := "all prerequisites met"
			if !ok {
				lines = "- " + strings.Join(rep.Problems, "\n- ")
			}
			p.message(map[string]any{"messageType": "check", "serverVersion": rep.ServerVersion,
				"dataDirectory": rep.DataDirectory, "ok": ok, "problems": rep.Problems},
				"PostgreSQL %s, data directory %s:\n%s", rep.ServerVersion, rep.DataDirectory, lines)
			if !ok {
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d prerequisites not met", len(rep.Problems))}
			}
			return nil
		},
	}
	addConnFlags(cmd, f)
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON")
	return cmd
}
