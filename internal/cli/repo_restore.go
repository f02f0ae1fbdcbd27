package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
)

func restoreCommand(f *repoFlags) *cobra.Command {
	var target string
	var includes []string
	var overwrite bool
	cmd := &cobra.Command{
		Use:   "restore ID|latest --target DIR",
		Short: "Restore a snapshot (or paths from it) into a directory",
		Long: `Restore a snapshot, or the paths named by --include, below --target.

Snapshot paths are absolute, so restoring /srv/data into /tmp/r writes /tmp/r/srv/data.
Every chunk is authenticated before it is written, and files appear under their real
names only once complete; an existing file is an error unless --overwrite is given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return usageErr(errors.New("--target is required"))
			}
			ctx := cmd.Context()
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			id, sn, err := r.FindSnapshot(ctx, args[0])
			if err != nil {
				return err
			}
			res := restorer.New(r, restorer.Options{
				Include:   includes,
				Overwrite: overwrite,
				Progress:  func(pr restorer.Progress) { p.status(restoreStatus(pr), restoreLine(pr)) },
			})
			last, err := res.Restore(ctx, sn, target)
			if err != nil {
				if errors.Is(err, restorer.ErrCorrupt) && !repo.IsCorruption(err) {
					return &ExitError{Code: ExitCorruption, Err: err}
				}
				return fmt.Errorf("restore of snapshot %s failed: %w", id.Short(), err)
			}
			p.message(map[string]any{
				"messageType": "summary", "snapshotId": id.String(), "target": target,
				"filesRestored": last.FilesDone, "bytesRestored": last.BytesWritten,
				"durationSeconds": last.Elapsed.Seconds(),
			}, "restored snapshot %s to %s: %d files, %s in %s", id.Short(), target,
				last.FilesDone, formatBytes(last.BytesWritten), formatDuration(last.Elapsed))
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "directory to restore into")
	cmd.Flags().StringArrayVar(&includes, "include", nil, "restore only this snapshot path and what is below it (repeatable)")
	cmd.Flags().BoolVar(&overwrite, "overwrite", false, "replace existing files")
	return cmd
}

func restoreStatus(pr restorer.Progress) map[string]any {
	m := map[string]any{
		"messageType": "status", "phase": pr.Phase, "secondsElapsed": pr.Elapsed.Seconds(),
		"filesRestored": pr.FilesDone, "bytesRestored": pr.BytesWritten, "bytesPerSecond": pr.Rate,
	}
	if pr.WalkDone {
		m["totalFiles"], m["totalBytes"] = pr.FilesTotal, pr.BytesTotal
		if pr.ETA > 0 {
			m["secondsRemaining"] = pr.ETA.Seconds()
		}
	}
	return m
}

func restoreLine(pr restorer.Progress) string {
	line := fmt.Sprintf("[%s] %d files, %s", formatDuration(pr.Elapsed), pr.FilesDone, formatBytes(pr.BytesWritten))
	if pr.WalkDone && pr.BytesTotal > 0 {
		line += fmt.Sprintf(" / %s", formatBytes(pr.BytesTotal))
	}
	line += fmt.Sprintf(", %s/s", formatBytes(uint64(pr.Rate)))
	if pr.ETA > 0 {
		line += ", ETA " + formatDuration(pr.ETA)
	}
	return line
}
