package client

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// AgentCommands returns the admin subcommands of `coffer agent`: token
// create, list, show and revoke. They are API clients; `coffer agent`
// itself runs the agent.
func AgentCommands() []*cobra.Command {
	c := &conn{}
	token := &cobra.Command{Use: "token", Short: "Mint join tokens for new agents (admin)"}
	c.bind(token)
	token.AddCommand(agentTokenCreate(c))
	list := &cobra.Command{
		Use:   "list",
		Short: "List enrolled agents (API client)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListAgentsResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/agents", url.Values{"limit": {"500"}}, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "HOST", "STATUS", "VERSION", "LAST SEEN", "CERT EXPIRES")
			for _, a := range out.GetAgents() {
				t.row(a.GetId(), a.GetName(), a.GetHostname(), a.GetStatus(), a.GetVersion(), when(a.GetLastSeen()), when(a.GetCertExpiresAt()))
			}
			return t.flush()
		},
	}
	c.bind(list)
	var reason string
	revoke := &cobra.Command{
		Use:   "revoke AGENT_ID",
		Short: "Cut an agent off at once: its certificate is refused and its jobs cancelled (admin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.RevokeAgentResponse
			if _, err := cl.Do(cmd.Context(), "POST", "/api/agents/"+url.PathEscape(args[0])+"/revoke", nil,
				&cofferv1.RevokeAgentRequest{Reason: reason}, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "agent %s (%s) revoked\n", out.GetAgent().GetName(), out.GetAgent().GetId())
			return nil
		},
	}
	c.bind(revoke)
	revoke.Flags().StringVar(&reason, "reason", "", "recorded in the audit log")
	return []*cobra.Command{token, list, revoke}
}

func agentTokenCreate(c *conn) *cobra.Command {
	var ttl time.Duration
	var name string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Mint a single-use join token",
		Long: `Mint a single-use join token for one new agent. The token carries the pin of the
controller's CA, so the agent can check it is talking to this controller:

  coffer agent --controller HOST:PORT --join-token-file FILE`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.CreateJoinTokenResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/agents/join-tokens", nil,
				&cofferv1.CreateJoinTokenRequest{TtlSeconds: int32(ttl / time.Second), AgentName: name}, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.GetToken())
			fmt.Fprintf(cmd.ErrOrStderr(), "single-use join token %s, expires %s\n", out.GetId(), when(out.GetExpiresAt()))
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid (max 168h)")
	cmd.Flags().StringVar(&name, "name", "", "name the enrolling agent gets")
	return cmd
}

// TokenCommand returns `coffer token create|list|revoke` for API tokens.
func TokenCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "token", Short: "Manage API tokens (admin)"}
	c.bind(cmd)
	var name, role string
	var scopes []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Mint an API token; it is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.CreateApiTokenResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/tokens", nil, &cofferv1.CreateApiTokenRequest{Name: name, Role: role, Scopes: scopes}, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.GetToken())
			fmt.Fprintf(cmd.ErrOrStderr(), "API token %s (%s, role %s): shown once, store it now\n", out.GetApiToken().GetId(), name, role)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "who or what uses the token")
	create.Flags().StringVar(&role, "role", "", "admin, operator, restorer or auditor")
	create.Flags().StringArrayVar(&scopes, "scope", nil, "limit the token to this source (repeatable)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListApiTokensResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/tokens", url.Values{"limit": {"500"}}, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			t := newTable(cmd.OutOrStdout(), "ID", "NAME", "ROLE", "PREFIX", "SCOPES", "LAST USED")
			for _, tk := range out.GetTokens() {
				t.row(tk.GetId(), tk.GetName(), tk.GetRole(), tk.GetPrefix()+"…", strings.Join(tk.GetScopes(), ","), when(tk.GetLastUsedAt()))
			}
			return t.flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			if _, err := cl.Do(cmd.Context(), "DELETE", "/api/tokens/"+url.PathEscape(args[0]), nil, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}
