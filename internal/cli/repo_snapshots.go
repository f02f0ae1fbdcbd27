package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// snapshotJSON is the stable shape of `coffer repo snapshots --json`.
type snapshotJSON struct {
	ID       string          `json:"id"`
	ShortID  string          `json:"short_id"`
	Time     time.Time       `json:"time"`
	Paths    []string        `json:"paths"`
	Hostname string          `json:"hostname,omitempty"`
	Username string          `json:"username,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
	Parent   string          `json:"parent,omitempty"`
	Tree     string          `json:"tree"`
	Source   string          `json:"source,omitempty"`
	Kind     string          `json:"kind,omitempty"`
	Summary  any             `json:"summary,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

func snapshotsCommand(f *repoFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "snapshots",
		Short: "List snapshots, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			list, err := r.ListSnapshots(ctx)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.json {
				items := make([]snapshotJSON, 0, len(list))
				for _, e := range list {
					sn := e.Snapshot
					j := snapshotJSON{
						ID: e.ID.String(), ShortID: e.ID.Short(), Time: sn.Time, Paths: sn.Paths,
						Hostname: sn.Hostname, Username: sn.Username, Tags: sn.Tags, Tree: sn.Tree.String(),
						Source: sn.Source, Kind: sn.Kind, Metadata: sn.Metadata,
					}
					if sn.Parent != nil {
						j.Parent = sn.Parent.String()
					}
					if sn.Summary != nil {
						j.Summary = sn.Summary
					}
					items = append(items, j)
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(items)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTime\tHost\tTags\tSize\tPaths")
			for _, e := range list {
				sn := e.Snapshot
				size := ""
				if sn.Summary != nil {
					size = formatBytes(sn.Summary.BytesTotal)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID.Short(), sn.Time.Local().Format("2006-01-02 15:04:05"),
					sn.Hostname, strings.Join(sn.Tags, ","), size, strings.Join(sn.Paths, " "))
			}
			fmt.Fprintf(tw, "%d snapshots\n", len(list))
			return tw.Flush()
		},
	}
}
