package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/repo"
)

// parseTargetTime accepts RFC 3339 and PostgreSQL's own timestamp forms;
// a time without a zone is refused rather than guessed.
func parseTargetTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999 Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--time %q: want RFC 3339 with a zone, e.g. 2025-01-02T03:04:05.123456Z or '2025-01-02 03:04:05+00'", s)
}

// walFetchCommand is the restore_command the restored server runs: this
// coffer binary with the same repository and key, as absolute paths
// (the server runs it from its data directory).
func walFetchCommand(f *repoFlags, source, coffer string) (string, error) {
	if coffer == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		coffer = exe
	}
	repoURL := f.repo
	if !strings.Contains(repoURL, "://") {
		abs, err := filepath.Abs(repoURL)
		if err != nil {
			return "", err
		}
		repoURL = abs
	}
	key := f.keyFile
	if key == "" {
		return "", usageErr(errors.New("restore_command needs a key file (--key-file) that the server's user can read"))
	}
	key, err := filepath.Abs(key)
	if err != nil {
		return "", err
	}
	return postgres.WALFetchCommand(coffer, source, repoURL, key), nil
}

func pgRestoreCommand() *cobra.Command {
	f := &pgFlags{}
	var target, timeStr, timeline, coffer, tsDir, database, targetDB string
	var tsMap []string
	var immediate, end, overwrite, noArchive, verifyWAL, noOwner bool
	cmd := &cobra.Command{
		Use:   "restore --repo R --key-file K --source NAME [ID] (--time T | --end | --immediate) --target DIR",
		Short: "Restore a physical backup to a point in time, or a logical one into a database",
		Long: `Physical: restore into a new data directory (--target; an existing one only with
--overwrite) and write backup_label, tablespace_map, recovery.signal and the recovery settings
(restore_command through coffer wal-fetch, the target, promote at the end), so starting
PostgreSQL on it replays exactly to the target:
  --time T       the last transaction committed at or before T (the base backup is the newest
                 one that ends before T unless ID names one); a time outside the archived
                 window is refused with the window named
  --end          every archived segment (the default)
  --immediate    the backup's consistency point
Tablespaces go back to their original paths unless --tablespace-dir or --tablespace-map move them.

Logical (ID names a logical backup): pg_restore --jobs into --target-database on the server
named by the connection flags.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if f.cfg.Name == "" {
				return usageErr(errors.New("--source is required"))
			}
			r, err := f.repo.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			var snapshot *repo.ID
			var sn *repo.Snapshot
			if len(args) == 1 {
				id, s, err := r.FindSnapshot(ctx, args[0])
				if err != nil {
					return err
				}
				snapshot, sn = &id, s
			}
			if sn != nil && sn.Kind == postgres.KindLogical {
				return restoreLogical(cmd, f, r, sn, database, targetDB, overwrite, noOwner, p)
			}
			rt, err := recoveryTarget(timeStr, immediate, end, timeline)
			if err != nil {
				return err
			}
			if target == "" {
				return usageErr(errors.New("--target is required: the new data directory"))
			}
			abs, err := filepath.Abs(target)
			if err != nil {
				return err
			}
			rc, err := walFetchCommand(&f.repo, f.cfg.Name, coffer)
			if err != nil {
				return err
			}
			m, err := parseTablespaceMap(tsMap)
			if err != nil {
				return err
			}
			res, err := postgres.RestorePhysical(ctx, postgres.RestoreOptions{
				Repo: r, Stream: f.cfg.Name, Snapshot: snapshot, Target: abs, Overwrite: overwrite, Recovery: rt,
				TablespaceDir: tsDir, TablespaceMap: m, RestoreCommand: rc, DisableArchiving: noArchive, VerifyWAL: verifyWAL,
				Progress: pgProgress(p), Step: pgStep(p),
			})
			if err != nil {
				if errors.Is(err, postgres.ErrTargetNotEmpty) {
					return usageErr(err)
				}
				return err
			}
			b := res.Plan.Backup
			out := map[string]any{"messageType": "summary", "snapshotId": b.ID.String(), "target": abs, "recoveryTarget": rt.String(),
				"backupStopTime": b.Meta.StopTime, "filesRestored": res.Files, "bytesRestored": res.Bytes}
			if res.Plan.Window != nil {
				out["windowFrom"], out["windowTo"] = res.Plan.Window.From, res.Plan.Window.To
			}
			p.message(out, "restored backup %s (ended %s) to %s: %d files, %s; recovery target: %s\nstart PostgreSQL on %s to replay WAL; it promotes when the target is reached",
				b.ID.Short(), b.Meta.StopTime.UTC().Format(time.RFC3339), abs, res.Files, formatBytes(res.Bytes), rt, abs)
			return nil
		},
	}
	addConnFlags(cmd, f)
	addRepoFlags(cmd, &f.repo)
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print JSON lines")
	fl.StringVar(&target, "target", "", "physical: new data directory")
	fl.StringVar(&timeStr, "time", "", "physical: recover to this time (RFC 3339 with zone)")
	fl.BoolVar(&end, "end", false, "physical: recover to the end of the archive (default)")
	fl.BoolVar(&immediate, "immediate", false, "physical: recover to the backup's consistency point")
	fl.StringVar(&timeline, "target-timeline", "", "recovery_target_timeline: latest (PostgreSQL's default), current or a number")
	fl.BoolVar(&overwrite, "overwrite", false, "physical: empty and reuse an existing data directory; logical: drop and recreate the target database")
	fl.StringVar(&tsDir, "tablespace-dir", "", "physical: restore every tablespace to DIR/<oid>")
	fl.StringArrayVar(&tsMap, "tablespace-map", nil, "physical: OID=DIR, restore one tablespace there (repeatable)")
	fl.StringVar(&coffer, "coffer", "", "coffer binary for restore_command (default: this one)")
	fl.BoolVar(&noArchive, "no-archive", false, "physical: set archive_mode = off in the restored server (tests and copies)")
	fl.BoolVar(&verifyWAL, "verify-wal", true, "physical: authenticate every WAL segment the replay needs before restoring")
	fl.StringVar(&database, "restore-database", "", "logical: which dumped database to restore")
	fl.StringVar(&targetDB, "target-database", "", "logical: database to create and restore into (default the dumped name)")
	fl.BoolVar(&noOwner, "no-owner", false, "logical: do not restore ownership and privileges")
	return cmd
}

func recoveryTarget(timeStr string, immediate, end bool, timeline string) (postgres.RecoveryTarget, error) {
	n := 0
	for _, b := range []bool{timeStr != "", immediate, end} {
		if b {
			n++
		}
	}
	if n > 1 {
		return postgres.RecoveryTarget{}, usageErr(errors.New("give one of --time, --end and --immediate"))
	}
	rt := postgres.RecoveryTarget{Kind: postgres.TargetEnd, Timeline: timeline}
	switch {
	case timeStr != "":
		t, err := parseTargetTime(timeStr)
		if err != nil {
			return rt, usageErr(err)
		}
		rt.Kind, rt.Time = postgres.TargetTime, t
	case immediate:
		rt.Kind = postgres.TargetImmediate
	}
	return rt, nil
}

func parseTablespaceMap(list []string) (map[uint32]string, error) {
	m := map[uint32]string{}
	for _, s := range list {
		oid, dir, ok := strings.Cut(s, "=")
		n, err := strconv.ParseUint(oid, 10, 32)
		if !ok || err != nil || !filepath.IsAbs(dir) {
			return nil, usageErr(fmt.Errorf("--tablespace-map %q: want OID=/absolute/dir", s))
		}
		m[uint32(n)] = dir
	}
	return m, nil
}

func restoreLogical(cmd *cobra.Command, f *pgFlags, r *repo.Repository, sn *repo.Snapshot, database, targetDB string, overwrite, noOwner bool, p *printer) error {
	f.cfg.Method = postgres.MethodLogical
	src, err := f.source()
	if err != nil {
		return err
	}
	res, err := src.RestoreLogical(cmd.Context(), postgres.LogicalRestoreOptions{
		Repo: r, Snapshot: sn, Database: database, TargetDatabase: targetDB, Overwrite: overwrite, NoOwner: noOwner,
		Progress: pgProgress(p),
	})
	if err != nil {
		if errors.Is(err, postgres.ErrTargetExists) {
			return usageErr(err)
		}
		return err
	}
	p.message(map[string]any{"messageType": "summary", "database": res.Database, "targetDatabase": res.TargetDatabase, "tablesChecked": len(res.Tables)},
		"restored database %s into %s; %d tables' row counts match the backup", res.Database, res.TargetDatabase, len(res.Tables))
	return nil
}

func pgVerifyCommand() *cobra.Command {
	f := &pgFlags{}
	var coffer, workDir, binDir string
	cmd := &cobra.Command{
		Use:   "verify --repo R --key-file K --source NAME ID|latest",
		Short: "Restore test: restore into a throwaway server, start it, check it, remove it",
		Long: `Restore a backup into a throwaway PostgreSQL server in a private directory (a physical
backup to its consistency point, replaying its WAL through coffer wal-fetch; a logical one into a
fresh initdb with pg_restore), start it, check that it accepts connections, that pg_database
lists what the backup recorded and that every recorded table has its recorded row count (every
table is read in full), then remove it. Prints the measured recovery time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if f.cfg.Name == "" {
				return usageErr(errors.New("--source is required"))
			}
			r, err := f.repo.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			id, sn, err := findParent(cmd, r, f.cfg.Name, args[0])
			if err != nil {
				return err
			}
			rc := ""
			if sn.Kind == postgres.KindPhysical {
				if rc, err = walFetchCommand(&f.repo, f.cfg.Name, coffer); err != nil {
					return err
				}
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			res, err := postgres.Verify(ctx, postgres.VerifyOptions{Repo: r, SnapshotID: id, Snapshot: sn, RestoreCommand: rc, WorkDir: workDir, BinDir: binDir,
				Step: pgStep(p)})
			if err != nil {
				return fmt.Errorf("restore test of %s failed: %w", id.Short(), err)
			}
			p.message(map[string]any{"messageType": "summary", "snapshotId": id.String(), "ok": true, "recoverySeconds": res.RecoveryTime.Seconds(),
				"databases": res.Databases, "tables": res.Tables, "rows": res.Rows},
				"restore test of %s passed: %d databases, %d tables, %d rows read; recovery took %s",
				id.Short(), len(res.Databases), res.Tables, res.Rows, res.RecoveryTime.Round(time.Millisecond))
			return nil
		},
	}
	addRepoFlags(cmd, &f.repo)
	cmd.Flags().StringVar(&f.cfg.Name, "source", os.Getenv("COFFER_SOURCE"), "source name (env COFFER_SOURCE)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON lines")
	cmd.Flags().StringVar(&coffer, "coffer", "", "coffer binary for restore_command (default: this one)")
	cmd.Flags().StringVar(&workDir, "work-dir", "", "where the throwaway server lives (default the temporary directory)")
	cmd.Flags().StringVar(&binDir, "bin-dir", "", "PostgreSQL server binaries (default /usr/lib/postgresql/<major>/bin)")
	return cmd
}
