package cli

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/repo"
)

func keyCommand(f *repoFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Manage the key slots that open the repository"}
	var newKeyFile, label string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a key slot: --new-key-file F (created if missing) or COFFER_NEW_PASSPHRASE",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var kek repo.KEK
			pass, havePass := os.LookupEnv("COFFER_NEW_PASSPHRASE")
			switch {
			case newKeyFile != "" && havePass:
				return usageErr(errors.New("give either --new-key-file or COFFER_NEW_PASSPHRASE, not both"))
			case newKeyFile != "":
				k, err := repo.NewKeyFileKEK(newKeyFile, true)
				if err != nil {
					return err
				}
				kek = k
			case havePass:
				kek = repo.NewPassphraseKEK([]byte(pass))
			default:
				return usageErr(errors.New("no new key given: use --new-key-file or COFFER_NEW_PASSPHRASE"))
			}
			ctx := cmd.Context()
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			id, err := r.AddKey(ctx, kek, label)
			if err != nil {
				return err
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			p.message(map[string]any{"messageType": "keyAdded", "id": id}, "added key slot %s", id)
			return nil
		},
	}
	add.Flags().StringVar(&newKeyFile, "new-key-file", "", "key file for the new slot")
	add.Flags().StringVar(&label, "label", "", "label for the new slot")

	list := &cobra.Command{
		Use:   "list",
		Short: "List key slots",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			keys, err := r.ListKeys(ctx)
			if err != nil {
				return err
			}
			if f.json {
				p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), true)
				p.emit(keys)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, " \tID\tKind\tLabel\tCreated")
			for _, k := range keys {
				cur := " "
				if k.Current {
					cur = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cur, k.ID, k.Kind, k.Label, k.Created.Local().Format("2006-01-02 15:04:05"))
			}
			return tw.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a key slot (not the one in use, not the last)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := f.open(ctx)
			if err != nil {
				return err
			}
			defer r.Backend().Close()
			if err := r.RemoveKey(ctx, args[0]); err != nil {
				return err
			}
			p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
			p.message(map[string]any{"messageType": "keyRemoved", "id": args[0]}, "removed key slot %s", args[0])
			return nil
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}
