package cli

import (
	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/all"
)

func initCommand(f *repoFlags) *cobra.Command {
	var packSize int
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a repository (and the key file, when it does not exist)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			kek, err := f.kek(true)
			if err != nil {
				return err
			}
			be, err := f.backend(ctx, true)
			if err != nil {
				return err
			}
			defer be.Close()
			r, err := repo.Init(ctx, be, kek, repo.InitOptions{PackSize: packSize})
			if err != nil {
				return err
			}
			cfg := r.Config()
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			p.message(map[string]any{"messageType": "initialized", "id": cfg.ID, "repository": all.Redact(f.repo)},
				"created coffer repository %s at %s", cfg.ID, all.Redact(f.repo))
			return nil
		},
	}
	cmd.Flags().IntVar(&packSize, "pack-size", 0, "target pack size in bytes (default 16 MiB)")
	return cmd
}
