package client

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// StorageCommand returns `coffer storage list|test`.
func StorageCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "storage", Short: "Check storage locations"}
	c.bind(cmd)
	cmd.AddCommand(storageList(c), storageTest(c))
	return cmd
}

func storageList(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List storage locations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListStorageLocationsResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/storage-locations", url.Values{"limit": {"500"}}, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "URL", "DEFAULT")
			for _, l := range out.GetStorageLocations() {
				def := ""
				if l.GetIsDefault() {
					def = "yes"
				}
				t.row(l.GetId(), l.GetName(), l.GetUrl(), def)
			}
			return t.flush()
		},
	}
}

func storageTest(c *conn) *cobra.Command {
	var agentID string
	cmd := &cobra.Command{
		Use:   "test LOCATION_ID",
		Short: "Have an agent write, list, read and delete a small object in a storage location (admin)",
		Long: `Have an agent write, list, read back and delete a small object under coffer-test/
in the storage location, with the location's credentials, and show each step.
Exits non-zero when a step fails. --agent may be left out when exactly one agent
is enrolled.`,
		Example: "  coffer storage test 0f3c... --agent 7a1e...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.TestStorageLocationResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/storage-locations/"+url.PathEscape(args[0])+"/test", nil,
				&cofferv1.TestStorageLocationRequest{AgentId: agentID}, &out)
			if err != nil {
				return err
			}
			if c.json {
				err = printJSON(cmd.OutOrStdout(), raw)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "agent %s\n", out.GetAgentId())
				t := newTable(cmd.OutOrStdout(), "STEP", "RESULT", "TIME", "ERROR")
				for _, st := range out.GetSteps() {
					res := "ok"
					if !st.GetOk() {
						res = "FAILED"
					}
					t.row(st.GetName(), res, fmt.Sprintf("%dms", st.GetDurationMs()), st.GetError())
				}
				err = t.flush()
			}
			if err == nil && !out.GetOk() {
				err = fmt.Errorf("storage location %s failed the test", args[0])
			}
			return err
		},
	}
	cmd.Flags().StringVar(&agentID, "agent", "", "ID of the agent that runs the test")
	return cmd
}
