package client

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// ScheduleCommand returns `coffer schedule create|list|show|update|delete`.
func ScheduleCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "schedule", Short: "Manage backup schedules (cron in an IANA time zone)"}
	c.bind(cmd)
	cmd.AddCommand(scheduleCreate(c), scheduleList(c), scheduleShow(c), scheduleUpdate(c), scheduleDelete(c))
	return cmd
}

// scheduleFlags are the settable fields of a schedule.
type scheduleFlags struct {
	name, cron, tz, typ, overlap, location string
	sources                                []string
	keepLast, keepDaily, keepWeekly        int32
	keepMonthly, retentionDays, jitter     int32
	disabled                               bool
}

func (f *scheduleFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "schedule name")
	fl.StringVar(&f.cron, "cron", "", `five-field cron expression, e.g. "30 2 * * *", or @daily`)
	fl.StringVar(&f.tz, "timezone", "", "IANA time zone, e.g. Europe/Berlin (default UTC)")
	fl.StringVar(&f.typ, "type", "", "full, incremental or differential (default full)")
	fl.StringArrayVar(&f.sources, "source", nil, "source to back up (repeatable)")
	fl.StringVar(&f.overlap, "overlap", "", "skip (default) or queue a run while the previous one still runs")
	fl.StringVar(&f.location, "storage-location", "", "storage location ID")
	fl.Int32Var(&f.keepLast, "keep-last", 0, "retention: keep the newest N backups")
	fl.Int32Var(&f.keepDaily, "keep-daily", 0, "retention: keep one backup per day for N days")
	fl.Int32Var(&f.keepWeekly, "keep-weekly", 0, "retention: keep one backup per week for N weeks")
	fl.Int32Var(&f.keepMonthly, "keep-monthly", 0, "retention: keep one backup per month for N months")
	fl.Int32Var(&f.retentionDays, "retention-days", 0, "retention: keep everything newer than N days")
	fl.Int32Var(&f.jitter, "jitter", 0, "random delay of up to this many seconds per run")
	fl.BoolVar(&f.disabled, "disabled", false, "create the schedule disabled / disable it")
}

func scheduleCreate(c *conn) *cobra.Command {
	f := &scheduleFlags{}
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a schedule",
		Example: `  coffer schedule create --name nightly --cron "30 2 * * *" --timezone Europe/Berlin --source web --keep-daily 7`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			enabled := !f.disabled
			var out cofferv1.CreateBackupScheduleResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/backup-schedules", nil, &cofferv1.CreateBackupScheduleRequest{
				Name: f.name, CronExpression: f.cron, Timezone: f.tz, BackupType: f.typ, Sources: f.sources, Enabled: &enabled,
				KeepLast: f.keepLast, KeepDaily: f.keepDaily, KeepWeekly: f.keepWeekly, KeepMonthly: f.keepMonthly,
				RetentionDays: f.retentionDays, OverlapPolicy: f.overlap, JitterSeconds: f.jitter, StorageLocationId: f.location,
			}, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSchedules(cmd, []*cofferv1.BackupSchedule{out.GetSchedule()})
		},
	}
	f.bind(cmd)
	return cmd
}

func scheduleUpdate(c *conn) *cobra.Command {
	f := &scheduleFlags{}
	var enable bool
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change the given fields of a schedule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			req := &cofferv1.UpdateBackupScheduleRequest{Id: args[0], Sources: f.sources}
			fl := cmd.Flags()
			str := func(name string, v string) *string {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			num := func(name string, v int32) *int32 {
				if fl.Changed(name) {
					return &v
				}
				return nil
			}
			req.Name, req.CronExpression, req.Timezone = str("name", f.name), str("cron", f.cron), str("timezone", f.tz)
			req.BackupType, req.OverlapPolicy, req.StorageLocationId = str("type", f.typ), str("overlap", f.overlap), str("storage-location", f.location)
			req.KeepLast, req.KeepDaily, req.KeepWeekly = num("keep-last", f.keepLast), num("keep-daily", f.keepDaily), num("keep-weekly", f.keepWeekly)
			req.KeepMonthly, req.RetentionDays, req.JitterSeconds = num("keep-monthly", f.keepMonthly), num("retention-days", f.retentionDays), num("jitter", f.jitter)
			switch {
			case fl.Changed("disabled") && fl.Changed("enabled"):
				return usage("give --enabled or --disabled, not both")
			case fl.Changed("disabled"):
				v := !f.disabled
				req.Enabled = &v
			case fl.Changed("enabled"):
				req.Enabled = &enable
			}
			var out cofferv1.UpdateBackupScheduleResponse
			raw, err := cl.Do(cmd.Context(), "PUT", "/api/backup-schedules/"+url.PathEscape(args[0]), nil, req, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSchedules(cmd, []*cofferv1.BackupSchedule{out.GetSchedule()})
		},
	}
	f.bind(cmd)
	cmd.Flags().BoolVar(&enable, "enabled", false, "enable the schedule")
	return cmd
}

func printSchedules(cmd *cobra.Command, list []*cofferv1.BackupSchedule) error {
	t := newTable(cmd.OutOrStdout(), "ID", "NAME", "CRON", "TIMEZONE", "SOURCES", "ENABLED", "NEXT RUN", "LAST RUN")
	for _, s := range list {
		t.row(s.GetId(), s.GetName(), s.GetCronExpression(), s.GetTimezone(), strings.Join(s.GetSources(), ","),
			fmt.Sprint(s.GetEnabled()), when(s.GetNextRun()), when(s.GetLastRun()))
	}
	return t.flush()
}

func scheduleList(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List schedules with their next run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListBackupSchedulesResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/backup-schedules", url.Values{"limit": {"500"}}, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSchedules(cmd, out.GetSchedules())
		},
	}
}

func scheduleShow(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one schedule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.GetBackupScheduleResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/backup-schedules/"+url.PathEscape(args[0]), nil, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSchedules(cmd, []*cofferv1.BackupSchedule{out.GetSchedule()})
		},
	}
}

func scheduleDelete(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a schedule (its backups stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			if _, err := cl.Do(cmd.Context(), "DELETE", "/api/backup-schedules/"+url.PathEscape(args[0]), nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schedule %s deleted\n", args[0])
			return nil
		},
	}
}
