package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/internal/repo"
)

func pgBackupCommand() *cobra.Command {
	f := &pgFlags{}
	var parentRef, compression string
	var delta bool
	var tags []string
	cmd := &cobra.Command{
		Use:   "backup --repo R --key-file K --source NAME [--pgdata DIR] [--method physical|logical] [--parent ID|latest] [--delta]",
		Short: "Take a physical or logical backup of a PostgreSQL server",
		Long: `Take a backup of a PostgreSQL server into the repository.

physical (default): pg_backup_start, the data directory and tablespaces read next to the
server (page-aligned chunks for relation files), pg_backup_stop, then a wait until the WAL up
to the stop position is archived. With --parent (a snapshot ID or "latest") files whose
size and times match the parent are reused unread; --delta re-reads and checksums
everything but still uploads only changed chunks.

logical: pg_dump -Fc of each database (streamed, never held in memory) plus
pg_dumpall --globals-only, with every table's row count recorded from the dump's snapshot.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			src, err := f.source()
			if err != nil {
				return err
			}
			r, err := f.repo.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			if compression != "" {
				c, err := repo.ParseCompression(compression)
				if err != nil {
					return usageErr(err)
				}
				r.SetOptions(repo.Options{Compression: c})
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			opts := postgres.BackupOptions{Repo: r, Delta: delta, Tags: tags, Progress: pgProgress(p)}
			opts.Hostname, _ = os.Hostname()
			if parentRef != "" {
				id, sn, err := findParent(cmd, r, f.cfg.Name, parentRef)
				if err != nil {
					return err
				}
				opts.Parent, opts.ParentID = sn, &id
			} else if delta {
				return usageErr(errors.New("--delta compares against a parent: give --parent"))
			}
			res, err := src.Backup(ctx, opts)
			if err != nil {
				return err
			}
			sum := res.Snapshot.Summary
			out := map[string]any{"messageType": "summary", "snapshotId": res.ID.String(), "source": f.cfg.Name,
				"kind": res.Snapshot.Kind, "files": res.Files, "bytesTotal": sum.BytesTotal, "bytesRead": sum.BytesRead,
				"bytesAdded": sum.BytesAdded, "bytesStored": sum.BytesStored, "durationSeconds": sum.End.Sub(sum.Start).Seconds()}
			line := fmt.Sprintf("snapshot %s saved: %s of %s", res.ID.Short(), res.Snapshot.Kind, f.cfg.Name)
			if m := res.Physical; m != nil {
				out["type"], out["startLsn"], out["stopLsn"], out["stopTime"], out["stopWal"] = m.Type, m.StartLSN, m.StopLSN, m.StopTime, m.StopWAL
				line += fmt.Sprintf(" (%s, WAL %s..%s, restorable from %s)", m.Type, m.StartWAL, m.StopWAL, m.StopTime.UTC().Format("2006-01-02 15:04:05Z07:00"))
			}
			line += fmt.Sprintf("; read %s, stored %s new in %s", formatBytes(sum.BytesRead), formatBytes(sum.BytesStored), formatDuration(sum.End.Sub(sum.Start)))
			p.message(out, "%s", line)
			return nil
		},
	}
	addConnFlags(cmd, f)
	addRepoFlags(cmd, &f.repo)
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON lines (progress and summary)")
	cmd.Flags().StringVar(&parentRef, "parent", "", `incremental: parent snapshot ID or "latest" (physical backups of this source)`)
	cmd.Flags().BoolVar(&delta, "delta", false, "re-read and checksum every file instead of trusting size and times")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "tag the snapshot (repeatable)")
	cmd.Flags().StringVar(&compression, "compression", "", "zstd level for data: auto, fastest, default, max or off (default auto)")
	return cmd
}

// findParent resolves "latest" (the newest physical backup of the source)
// or a snapshot ID.
func findParent(cmd *cobra.Command, r *repo.Repository, source, ref string) (repo.ID, *repo.Snapshot, error) {
	if ref != "latest" {
		return r.FindSnapshot(cmd.Context(), ref)
	}
	backups, err := postgres.ListBackups(cmd.Context(), r, source)
	if err != nil {
		return repo.ID{}, nil, err
	}
	if len(backups) == 0 {
		return repo.ID{}, nil, fmt.Errorf("--parent latest: no physical backup of %s yet; take a full backup first", source)
	}
	b := backups[len(backups)-1]
	return b.ID, b.Snapshot, nil
}

// pgProgress prints the driver's progress reports through p.
func pgProgress(p *printer) func(postgres.Progress) {
	return func(pr postgres.Progress) { p.status(pgProgressStatus(pr), pgProgressLine(pr)) }
}

// pgStep prints a restore's steps through p.
func pgStep(p *printer) func(name, status, msg string) {
	return func(name, status, msg string) {
		p.status(map[string]any{"messageType": "step", "step": name, "status": status, "message": msg}, name+": "+status)
	}
}

func pgProgressStatus(pr postgres.Progress) map[string]any {
	m := map[string]any{"messageType": "status", "phase": pr.Phase, "bytesDone": pr.BytesDone, "filesDone": pr.FilesDone,
		"bytesStored": pr.BytesStored, "bytesPerSecond": pr.Rate}
	if pr.BytesTotal > 0 {
		m["totalBytes"], m["totalFiles"] = pr.BytesTotal, pr.FilesTotal
	}
	if pr.ETA > 0 {
		m["secondsRemaining"] = pr.ETA.Seconds()
	}
	return m
}

func pgProgressLine(pr postgres.Progress) string {
	line := fmt.Sprintf("[%s] %s", pr.Phase, formatBytes(pr.BytesDone))
	if pr.BytesTotal > 0 {
		line += " of " + formatBytes(pr.BytesTotal)
	}
	if pr.ETA > 0 {
		line += ", " + formatDuration(pr.ETA) + " left"
	}
	return line
}
