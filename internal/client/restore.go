package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// RestoreCommand returns `coffer restore BACKUP_ID`.
func RestoreCommand() *cobra.Command {
	c := &conn{}
	var target, targetDB, pit, agentID, source, recoveryTarget string
	var overwrite, validate, wait bool
	cmd := &cobra.Command{
		Use:   "restore [BACKUP_ID]",
		Short: "Restore a backup on its agent (or another) through the controller",
		Long: `Restore a backup through the controller. Name the backup, or for a point in
time name only the source: the controller then picks the newest physical
backup that is consistent before --point-in-time.`,
		Example: `  coffer restore 1f3a... --target /srv/restore --wait
  coffer restore 1f3a... --target /srv/data --overwrite
  coffer restore --source pg-main --point-in-time 2026-05-01T03:00:00Z --target /srv/pg-restored --wait
  coffer restore 1f3a... --recovery-target immediate --target /srv/pg-at-backup`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			backupID := ""
			if len(args) == 1 {
				backupID = args[0]
			}
			if backupID == "" && (source == "" || pit == "") {
				return usage("name a BACKUP_ID, or --source with --point-in-time to let the controller pick the base backup")
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			req := &cofferv1.RestoreRequest{BackupId: backupID, Source: source, TargetPath: target, TargetDatabase: targetDB,
				OverwriteExisting: overwrite, ValidateOnly: validate, TargetAgentId: agentID, RecoveryTarget: recoveryTarget}
			if pit != "" {
				t, err := time.Parse(time.RFC3339, pit)
				if err != nil {
					return usage("--point-in-time: want RFC 3339, e.g. 2025-05-01T03:00:00Z")
				}
				req.PointInTime = timestamppb.New(t)
			}
			var out cofferv1.RestoreResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/recovery/restore", nil, req, &out)
			if err != nil {
				return err
			}
			if !wait {
				if c.json {
					return printJSON(cmd.OutOrStdout(), raw)
				}
				return showRecovery(cmd.OutOrStdout(), out.GetJob())
			}
			return waitAndShowRecovery(cmd.Context(), cl, out.GetJob().GetId(), cmd.OutOrStdout(), cmd.ErrOrStderr(), c.json)
		},
	}
	c.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "directory on the agent's host: a files backup's target or a new PostgreSQL data directory")
	f.StringVar(&targetDB, "target-database", "", "database to restore a logical backup into")
	f.StringVar(&pit, "point-in-time", "", "replay logs up to this time (RFC 3339; physical database backups)")
	f.StringVar(&source, "source", "", "with --point-in-time and no BACKUP_ID: the source whose base backup the controller picks")
	f.StringVar(&recoveryTarget, "recovery-target", "", "end (replay the whole archive, default) or immediate (stop at the backup's consistency point)")
	f.StringVar(&agentID, "agent", "", "restore on this agent instead of the source's")
	f.BoolVar(&overwrite, "overwrite", false, "allow writing over an existing, non-empty target")
	f.BoolVar(&validate, "validate-only", false, "only check that the restore could run")
	f.BoolVar(&wait, "wait", false, "wait until the restore finishes, printing progress")
	return cmd
}

// RecoveryCommand returns `coffer recovery status|list|cancel`.
func RecoveryCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "recovery", Short: "Follow, list and cancel restores"}
	c.bind(cmd)
	var wait bool
	status := &cobra.Command{
		Use:   "status JOB_ID",
		Short: "Show a restore's progress and steps",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			if wait {
				return waitAndShowRecovery(cmd.Context(), cl, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr(), c.json)
			}
			var out cofferv1.GetRecoveryStatusResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/recovery/status/"+url.PathEscape(args[0]), nil, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return showRecovery(cmd.OutOrStdout(), out.GetJob())
		},
	}
	status.Flags().BoolVar(&wait, "wait", false, "wait until the restore finishes")
	list := &cobra.Command{
		Use:   "list",
		Short: "List restores, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListRecoveryJobsResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/recovery/jobs", nil, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			t := newTable(cmd.OutOrStdout(), "ID", "BACKUP", "STATUS", "PROGRESS", "TARGET", "CREATED")
			for _, j := range out.GetJobs() {
				t.row(j.GetId(), short(j.GetBackupId()), j.GetStatus(), fmt.Sprintf("%.0f%%", j.GetProgress()), j.GetTargetPath()+j.GetTargetDatabase(), when(j.GetCreatedAt()))
			}
			return t.flush()
		},
	}
	cancel := &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a pending or running restore",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.CancelRecoveryResponse
			if _, err := cl.Do(cmd.Context(), "POST", "/api/recovery/jobs/"+url.PathEscape(args[0])+"/cancel", nil, &cofferv1.CancelRecoveryRequest{}, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restore %s: cancel requested (status %s)\n", out.GetJob().GetId(), out.GetJob().GetStatus())
			return nil
		},
	}
	cmd.AddCommand(status, list, cancel)
	return cmd
}

func waitAndShowRecovery(ctx context.Context, cl *Client, id string, out, progress io.Writer, asJSON bool) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		var resp cofferv1.GetRecoveryStatusResponse
		raw, err := cl.Do(ctx, "GET", "/api/recovery/status/"+url.PathEscape(id), nil, nil, &resp)
		if err != nil {
			return err
		}
		j := resp.GetJob()
		switch j.GetStatus() {
		case "completed", "failed", "cancelled":
			if asJSON {
				err = printJSON(out, raw)
			} else {
				err = showRecovery(out, j)
			}
			if err == nil && j.GetStatus() != "completed" {
				err = errJobFailed
			}
			return err
		}
		fmt.Fprintf(progress, "restore %s: %s %.0f%%\n", short(id), j.GetStatus(), j.GetProgress())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func showRecovery(w io.Writer, j *cofferv1.RecoveryJob) error {
	kv(w, "ID", j.GetId(), "Backup", j.GetBackupId(), "Status", j.GetStatus(), "Error", j.GetError(),
		"Progress", fmt.Sprintf("%.0f%%", j.GetProgress()), "Target path", j.GetTargetPath(), "Target database", j.GetTargetDatabase(),
		"Agent", j.GetAgentId(), "Attempt", fmt.Sprint(j.GetAttempt()), "Created", when(j.GetCreatedAt()),
		"Completed", when(j.GetCompletedAt()), "Estimated completion", estimated(j))
	for _, s := range j.GetSteps() {
		fmt.Fprintf(w, "  step %-24s %s %s\n", s.GetName(), s.GetStatus(), s.GetMessage())
	}
	return nil
}

func estimated(j *cofferv1.RecoveryJob) string {
	if j.GetEstimatedCompletion() == nil {
		return ""
	}
	return when(j.GetEstimatedCompletion())
}
