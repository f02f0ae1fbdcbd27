package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/agent/walsock"
	"github.com/cofferhq/coffer/internal/repo"
)

// ExitWALAbort is wal-fetch's exit status for every failure other than
// "not archived". PostgreSQL treats a restore_command exit status above
// 125 like a signal and stops recovery, instead of taking the failure for
// the end of the archive and promoting with WAL missing.
const ExitWALAbort = 126

// addRepoFlags registers the repository flags of `coffer repo` on a
// top-level command.
func addRepoFlags(cmd *cobra.Command, f *repoFlags) { f.addLocationFlags(cmd.Flags()) }

// openNoIndex opens the repository without loading its index: log files
// need only the keys, so archive_command stays fast on large repositories.
func (f *repoFlags) openNoIndex(cmd *cobra.Command) (*repo.Repository, error) {
	return f.openKeys(cmd.Context())
}

// WALPushCommand is `coffer wal-push`, PostgreSQL's archive_command.
func WALPushCommand() *cobra.Command {
	f := &repoFlags{}
	var source, socket string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "wal-push --source NAME [--repo R --key-file K] [--agent-socket PATH] PATH",
		Short: "Archive one WAL file into the repository (archive_command)",
		Long: `Archive one WAL segment, timeline history or backup history file into the repository,
compressed and encrypted, under wal/<source>/<timeline>/<file name>.

Use it as PostgreSQL's archive_command:

  archive_command = 'coffer wal-push --source main --repo /srv/coffer --key-file /etc/coffer/key %p'

The file goes to the local agent over its Unix socket (--agent-socket, default
` + walsock.DefaultSocketPath + ` or COFFER_AGENT_SOCKET), which keeps the repository open and
writes it through the same code; when no agent answers within a second or two, or the
agent is lost during the push, the repository is written directly. --agent-socket ''
always writes directly.

Pushing a file that is already archived with the same content succeeds without writing;
a different file under the same name is refused (exit 1) and never overwritten. The
process exits 0 only once the file is stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source == "" {
				return usageErr(errors.New("--source is required: the name the source's WAL is archived under"))
			}
			res, err := push(cmd, f, socket, source, args[0])
			if err != nil {
				return fmt.Errorf("wal-push %s: %w", args[0], err)
			}
			if verbose {
				state := "archived"
				if res.existed {
					state = "already archived (same content)"
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "coffer wal-push: %s %s %s (%s, stored %s)\n",
					res.object, state, res.via, formatBytes(uint64(res.size)), formatBytes(uint64(res.stored)))
			}
			return nil
		},
	}
	addRepoFlags(cmd, f)
	addSocketFlag(cmd, &socket)
	cmd.Flags().StringVar(&source, "source", os.Getenv("COFFER_SOURCE"), "source name the WAL is archived under (env COFFER_SOURCE)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "report each archived file on stderr")
	return cmd
}

// WALFetchCommand is `coffer wal-fetch`, PostgreSQL's restore_command.
func WALFetchCommand() *cobra.Command {
	f := &repoFlags{}
	var source, socket string
	cmd := &cobra.Command{
		Use:   "wal-fetch --source NAME [--repo R --key-file K] [--agent-socket PATH] FILE PATH",
		Short: "Restore one archived WAL file (restore_command)",
		Long: `Restore the archived WAL file FILE (%f) to PATH (%p), authenticated in full before
PATH appears. Use it as PostgreSQL's restore_command:

  restore_command = 'coffer wal-fetch --source main --repo /srv/coffer --key-file /etc/coffer/key %f %p'

Like wal-push it asks the local agent first (--agent-socket) and reads the repository
directly when no agent answers.

Exit status: 0 restored; 1, silently, when the file is not archived (the normal end of
archive recovery, and PostgreSQL's probing for timeline history files); 126 for anything
else (damaged segment, unreachable storage, wrong key), which makes PostgreSQL stop
recovery instead of ending it early with WAL missing.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := fetch(cmd, f, socket, source, args[0], args[1])
			if err == nil {
				return nil
			}
			if errors.Is(err, postgres.ErrWALNotArchived) {
				// Not an error for PostgreSQL: no message in its log.
				exitQuietly(ExitFailure)
			}
			return &ExitError{Code: ExitWALAbort, Err: fmt.Errorf("wal-fetch %s: %w", args[0], err)}
		},
	}
	addRepoFlags(cmd, f)
	addSocketFlag(cmd, &socket)
	cmd.Flags().StringVar(&source, "source", os.Getenv("COFFER_SOURCE"), "source name the WAL is archived under (env COFFER_SOURCE)")
	return cmd
}

// exitQuietly ends the process without the message main prints for
// errors; a variable so tests can intercept it.
var exitQuietly = os.Exit
