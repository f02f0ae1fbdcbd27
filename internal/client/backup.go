package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// BackupCommand returns `coffer backup create|list|show|delete|cancel`.
func BackupCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "backup", Short: "Create, list, inspect, cancel and delete backups through the controller"}
	c.bind(cmd)
	cmd.AddCommand(backupCreate(c), backupList(c), backupShow(c), backupDelete(c), backupCancel(c))
	return cmd
}

func backupCreate(c *conn) *cobra.Command {
	var typ string
	var wait bool
	cmd := &cobra.Command{
		Use:   "create SOURCE...",
		Short: "Back up registered sources (one backup each)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.CreateBackupResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/backups", nil, &cofferv1.CreateBackupRequest{Type: typ, Databases: args}, &out)
			if err != nil {
				return err
			}
			if !wait {
				if c.json {
					return printJSON(cmd.OutOrStdout(), raw)
				}
				return printBackups(cmd.OutOrStdout(), out.GetBackups())
			}
			failed := false
			for _, b := range out.GetBackups() {
				done, err := waitBackup(cmd.Context(), cl, b.GetId(), cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				failed = failed || done.GetStatus() != "completed"
				if err := showBackup(cmd.OutOrStdout(), done, c.json); err != nil {
					return err
				}
			}
			if failed {
				return errJobFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&typ, "type", "full", "full, incremental or differential")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until each backup finishes, printing progress")
	return cmd
}

// waitBackup polls a backup until it ends.
func waitBackup(ctx context.Context, cl *Client, id string, progress io.Writer) (*cofferv1.Backup, error) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		var out cofferv1.GetBackupResponse
		if _, err := cl.Do(ctx, "GET", "/api/backups/"+id, nil, nil, &out); err != nil {
			return nil, err
		}
		b := out.GetBackup()
		switch b.GetStatus() {
		case "completed", "failed", "cancelled", "deleted":
			return b, nil
		}
		p := b.GetProgress()
		fmt.Fprintf(progress, "backup %s: %s %s, %s read, %.0f%%\n", short(id), b.GetStatus(), phase(p), bytesHuman(p.GetBytesDone()), p.GetPercent())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func phase(p *cofferv1.JobProgress) string {
	if p == nil || p.GetPhase() == cofferv1.JobPhase_JOB_PHASE_UNSPECIFIED {
		return ""
	}
	return p.GetPhase().String()[len("JOB_PHASE_"):]
}

func printBackups(w io.Writer, bs []*cofferv1.Backup) error {
	t := newTable(w, "ID", "SOURCE", "TYPE", "STATUS", "CREATED", "SIZE", "SNAPSHOT")
	for _, b := range bs {
		t.row(b.GetId(), b.GetSourceName(), b.GetType(), b.GetStatus(), when(b.GetCreatedAt()), bytesHuman(b.GetSizeBytes()), short(b.GetSnapshotId()))
	}
	return t.flush()
}

func backupList(c *conn) *cobra.Command {
	var source, typ, status, from, to string
	var page, limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List backups, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"source": source, "type": typ, "status": status, "startDate": from, "endDate": to} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if page > 0 {
				q.Set("page", strconv.Itoa(page))
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var out cofferv1.ListBackupsResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/backups", q, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			if err := printBackups(cmd.OutOrStdout(), out.GetBackups()); err != nil {
				return err
			}
			p := out.GetPagination()
			fmt.Fprintf(cmd.ErrOrStderr(), "page %d of %d (%d backups)\n", p.GetPage(), p.GetTotalPages(), p.GetTotal())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&source, "source", "", "only this source (name or ID)")
	f.StringVar(&typ, "type", "", "only full, incremental or differential")
	f.StringVar(&status, "status", "", "only this status")
	f.StringVar(&from, "from", "", "only backups created at or after this time (RFC 3339)")
	f.StringVar(&to, "to", "", "only backups created before this time (RFC 3339)")
	f.IntVar(&page, "page", 0, "page number")
	f.IntVar(&limit, "limit", 0, "backups per page (max 500)")
	return cmd
}

func backupShow(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one backup with its parent and metadata",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.GetBackupResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/backups/"+url.PathEscape(args[0]), nil, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return showBackup(cmd.OutOrStdout(), out.GetBackup(), false)
		},
	}
}

func showBackup(w io.Writer, b *cofferv1.Backup, asJSON bool) error {
	if asJSON {
		return printJSON(w, mustJSON(b))
	}
	parent := b.GetParentBackupId()
	if pb := b.GetParentBackup(); pb != nil {
		parent = fmt.Sprintf("%s (%s, %s)", pb.GetId(), pb.GetType(), pb.GetStatus())
	}
	kv(w, "ID", b.GetId(), "Source", fmt.Sprintf("%s (%s)", b.GetSourceName(), b.GetSourceType()), "Type", b.GetType(),
		"Status", b.GetStatus(), "Error", b.GetError(), "Agent", b.GetAgentId(), "Snapshot", b.GetSnapshotId(),
		"Parent", parent, "Schedule", b.GetScheduleId(), "Created", when(b.GetCreatedAt()), "Started", when(b.GetStartedAt()),
		"Completed", when(b.GetCompletedAt()), "Duration", seconds(b.GetDurationSeconds()),
		"Size", bytesHuman(b.GetSizeBytes()), "Stored", bytesHuman(b.GetStoredBytes()), "Entries", strconv.FormatInt(b.GetEntryCount(), 10))
	return nil
}

func backupDelete(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a backup's snapshot from the repository (admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.DeleteBackupResponse
			if _, err := cl.Do(cmd.Context(), "DELETE", "/api/backups/"+url.PathEscape(args[0]), nil, nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup %s %s\n", out.GetBackup().GetId(), out.GetBackup().GetStatus())
			return nil
		},
	}
}

func backupCancel(c *conn) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pending or running backup",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.CancelBackupResponse
			if _, err := cl.Do(cmd.Context(), "POST", "/api/backups/"+url.PathEscape(args[0])+"/cancel", nil,
				&cofferv1.CancelBackupRequest{Reason: reason}, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup %s: cancel requested (status %s)\n", out.GetBackup().GetId(), out.GetBackup().GetStatus())
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "recorded in the backup and the audit log")
	return cmd
}
