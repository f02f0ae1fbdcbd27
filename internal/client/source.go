package client

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/structpb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// SourceCommand returns `coffer source create|list|show|delete`.
func SourceCommand() *cobra.Command {
	c := &conn{}
	cmd := &cobra.Command{Use: "source", Short: "Register and manage the sources agents back up"}
	c.bind(cmd)
	cmd.AddCommand(sourceCreate(c), sourceList(c), sourceShow(c), sourceDelete(c))
	return cmd
}

func sourceCreate(c *conn) *cobra.Command {
	var name, typ, agentID, location string
	var paths, excludes, settings, secrets []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register a source on an agent",
		Example: `  coffer source create --name web --type files --path /srv/www --exclude '*.tmp'
  coffer source create --name app --type postgres --set method=logical --set host=127.0.0.1 --set port=5432 --secret password=...
  coffer source create --name main --type postgres --set dataDir=/var/lib/postgresql/15/main --set delta=true`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			cfg := map[string]any{}
			if len(paths) > 0 {
				cfg["paths"] = toAny(paths)
			}
			if len(excludes) > 0 {
				cfg["exclude"] = toAny(excludes)
			}
			for _, s := range settings {
				k, v, ok := strings.Cut(s, "=")
				if !ok {
					return usage("--set %q: want key=value", s)
				}
				cfg[k] = settingValue(v)
			}
			sec := map[string]string{}
			for _, s := range secrets {
				k, v, ok := strings.Cut(s, "=")
				if !ok {
					return usage("--secret: want key=value")
				}
				sec[k] = v
			}
			st, err := structpb.NewStruct(cfg)
			if err != nil {
				return err
			}
			var out cofferv1.CreateSourceResponse
			raw, err := cl.Do(cmd.Context(), "POST", "/api/sources", nil, &cofferv1.CreateSourceRequest{
				Name: name, Type: typ, AgentId: agentID, Config: st, Secrets: sec, StorageLocationId: location,
			}, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSources(cmd, []*cofferv1.Source{out.GetSource()})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "unique source name")
	f.StringVar(&typ, "type", "files", "files, postgres, mysql or mongodb")
	f.StringVar(&agentID, "agent", "", "owning agent ID (optional while exactly one agent is enrolled)")
	f.StringVar(&location, "storage-location", "", "storage location ID (default: the default location)")
	f.StringArrayVar(&paths, "path", nil, "files: an absolute path to back up (repeatable)")
	f.StringArrayVar(&excludes, "exclude", nil, "files: a glob pattern to leave out (repeatable)")
	f.StringArrayVar(&settings, "set", nil, "a config setting key=value (repeatable)")
	f.StringArrayVar(&secrets, "secret", nil, "a write-only secret key=value (repeatable; stored encrypted)")
	return cmd
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func printSources(cmd *cobra.Command, list []*cofferv1.Source) error {
	t := newTable(cmd.OutOrStdout(), "ID", "NAME", "TYPE", "AGENT", "CONFIG", "SECRETS")
	for _, s := range list {
		cfg, _ := s.GetConfig().MarshalJSON()
		t.row(s.GetId(), s.GetName(), s.GetType(), short(s.GetAgentId()), string(cfg), strings.Join(s.GetSecretKeys(), ","))
	}
	return t.flush()
}

func sourceList(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List sources",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.ListSourcesResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/sources", url.Values{"limit": {"500"}}, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSources(cmd, out.GetSources())
		},
	}
}

func sourceShow(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME|ID",
		Short: "Show one source",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.GetSourceResponse
			raw, err := cl.Do(cmd.Context(), "GET", "/api/sources/"+url.PathEscape(args[0]), nil, nil, &out)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return printSources(cmd, []*cofferv1.Source{out.GetSource()})
		},
	}
}

func sourceDelete(c *conn) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME|ID",
		Short: "Delete a source (its backups stay)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			var out cofferv1.DeleteSourceResponse
			if _, err := cl.Do(cmd.Context(), "DELETE", "/api/sources/"+url.PathEscape(args[0]), nil, nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "source %s deleted\n", out.GetId())
			return nil
		},
	}
}

// settingValue reads a --set value: numbers, true/false and JSON lists or
// objects keep their type (port=5432, delta=true); anything else is a string.
func settingValue(v string) any {
	var out any
	if json.Unmarshal([]byte(v), &out) == nil {
		if _, isString := out.(string); !isString && out != nil {
			return out
		}
	}
	return v
}
