package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/cli"
)

// Environment variables the client reads.
const (
	EnvAddr  = "COFFER_ADDR"
	EnvToken = "COFFER_TOKEN"
)

// conn holds the connection flags shared by every client command.
type conn struct {
	addr, token, tokenFile string
	json                   bool
}

// bind adds the shared flags to cmd (persistent, so subcommands get them).
func (c *conn) bind(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&c.addr, "addr", envOr(EnvAddr, "http://127.0.0.1:8080"), "controller REST address (env "+EnvAddr+")")
	pf.StringVar(&c.token, "token", "", "API token; prefer env "+EnvToken+" or --token-file (command lines are visible to other users)")
	pf.StringVar(&c.tokenFile, "token-file", "", "read the API token from this file")
	pf.BoolVar(&c.json, "json", false, "print the API's JSON data instead of a table")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// client builds the API client from the flags and environment.
func (c *conn) client() (*Client, error) {
	tok := c.token
	if tok == "" && c.tokenFile != "" {
		b, err := os.ReadFile(c.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("read token file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		tok = os.Getenv(EnvToken)
	}
	if tok == "" {
		return nil, usage("no API token: set %s or give --token-file", EnvToken)
	}
	addr := c.addr
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return &Client{Addr: addr, Token: tok}, nil
}

func usage(format string, args ...any) error {
	return &cli.ExitError{Code: cli.ExitUsage, Err: fmt.Errorf(format, args...)}
}

// printJSON pretty-prints raw API data.
func printJSON(w io.Writer, raw json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// errJobFailed makes a waited-for job that did not complete exit non-zero.
var errJobFailed = errors.New("job did not complete")
