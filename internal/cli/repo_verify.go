package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/repo"
)

func verifyCommand(f *repoFlags) *cobra.Command {
	var readData bool
	var subset string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the repository's structure, and with --read-data its every byte",
		Long: `Check the repository.

Without flags, verify loads every index and snapshot, walks every snapshot's trees and
checks that every referenced chunk is indexed and every indexed pack exists with the
right size. --read-data also downloads every pack, authenticates and decompresses every
chunk and recomputes its ID; --read-data-subset 10% does that for a random tenth of the
packs. Problems are reported with the object's name; exit code 13 means corruption.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := repo.CheckOptions{ReadData: readData}
			if subset != "" {
				frac, err := parseSubset(subset)
				if err != nil {
					return usageErr(err)
				}
				opts.Subset = frac
			}
			ctx := cmd.Context()
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			var errorsFound, warnings int
			stats, err := r.Check(ctx, opts, func(pr repo.Problem) {
				kind := "error"
				if pr.Warning {
					kind = "warning"
					warnings++
				} else {
					errorsFound++
				}
				blob := ""
				if pr.Blob != nil {
					blob = pr.Blob.String()
				}
				p.message(map[string]any{"messageType": kind, "object": pr.Object, "blob": blob, "error": pr.Err.Error()},
					"%s: %s: %v", kind, pr.Object, pr.Err)
			})
			if err != nil {
				return fmt.Errorf("verify could not run: %w", err)
			}
			p.message(map[string]any{
				"messageType": "summary", "packs": stats.Packs, "blobs": stats.Blobs, "snapshots": stats.Snapshots,
				"trees": stats.Trees, "bytesRead": stats.BytesRead, "errors": errorsFound, "warnings": warnings,
			}, "checked %d snapshots, %d trees, %d packs, %d blobs; read %s; %d errors, %d warnings",
				stats.Snapshots, stats.Trees, stats.Packs, stats.Blobs, formatBytes(uint64(stats.BytesRead)), errorsFound, warnings)
			if errorsFound > 0 {
				return &ExitError{Code: ExitCorruption, Err: fmt.Errorf("repository has %d errors", errorsFound)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&readData, "read-data", false, "read, authenticate and decompress every chunk")
	cmd.Flags().StringVar(&subset, "read-data-subset", "", "read this share of the packs, e.g. 10%")
	cmd.MarkFlagsMutuallyExclusive("read-data", "read-data-subset")
	return cmd
}

func parseSubset(s string) (float64, error) {
	v := strings.TrimSuffix(strings.TrimSpace(s), "%")
	pct, err := strconv.ParseFloat(v, 64)
	if err != nil || pct <= 0 || pct > 100 {
		return 0, fmt.Errorf("--read-data-subset %q: want a percentage between 0 and 100, like 10%%", s)
	}
	return pct / 100, nil
}
