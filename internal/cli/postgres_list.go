package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
)

func pgListCommand() *cobra.Command {
	f := &pgFlags{}
	cmd := &cobra.Command{
		Use:   "list --repo R --key-file K --source NAME",
		Short: "List a source's physical backups and archived WAL, with gaps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if f.cfg.Name == "" {
				return usageErr(errors.New("--source is required"))
			}
			r, err := f.repo.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			backups, err := postgres.ListBackups(ctx, r, f.cfg.Name)
			if err != nil {
				return err
			}
			arch, err := r.ListLogSegments(ctx, f.cfg.Name)
			if err != nil {
				return err
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			var jb []map[string]any
			var b strings.Builder
			fmt.Fprintf(&b, "physical backups of %s:\n", f.cfg.Name)
			for _, bk := range backups {
				m := bk.Meta
				jb = append(jb, map[string]any{"snapshotId": bk.ID.String(), "type": m.Type, "stopTime": m.StopTime, "timeline": m.Timeline, "startWal": m.StartWAL, "stopWal": m.StopWAL})
				fmt.Fprintf(&b, "  %s  %-11s restorable from %s  timeline %d  WAL %s..%s\n", bk.ID.Short(), m.Type, m.StopTime.UTC().Format(time.RFC3339), m.Timeline, m.StartWAL, m.StopWAL)
			}
			var jt []map[string]any
			gaps := 0
			fmt.Fprintf(&b, "archived WAL (segment size %s):\n", formatBytes(arch.SegmentSize))
			for _, tl := range arch.Timelines {
				var runs, missing []string
				for _, run := range tl.Runs {
					runs = append(runs, arch.SegmentName(tl.Timeline, run.First)+".."+arch.SegmentName(tl.Timeline, run.Last))
				}
				for _, g := range tl.Gaps() {
					missing = append(missing, arch.SegmentName(tl.Timeline, g.First)+".."+arch.SegmentName(tl.Timeline, g.Last))
				}
				gaps += len(missing)
				jt = append(jt, map[string]any{"timeline": tl.Timeline, "runs": runs, "gaps": missing, "history": tl.History})
				fmt.Fprintf(&b, "  timeline %d: %s", tl.Timeline, strings.Join(runs, ", "))
				if len(missing) > 0 {
					fmt.Fprintf(&b, "  MISSING %s", strings.Join(missing, ", "))
				}
				b.WriteString("\n")
			}
			p.message(map[string]any{"messageType": "list", "source": f.cfg.Name, "backups": jb, "timelines": jt, "gaps": gaps, "invalid": arch.Invalid},
				"%s", strings.TrimRight(b.String(), "\n"))
			if gaps > 0 {
				return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%d gaps in the archived WAL of %s", gaps, f.cfg.Name)}
			}
			return nil
		},
	}
	addRepoFlags(cmd, &f.repo)
	cmd.Flags().StringVar(&f.cfg.Name, "source", os.Getenv("COFFER_SOURCE"), "source name (env COFFER_SOURCE)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON")
	return cmd
}
