package agentcmd

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent"
)

// Environment variables read as flag defaults.
const (
	EnvController    = "COFFER_CONTROLLER"
	EnvJoinToken     = "COFFER_JOIN_TOKEN"
	EnvDataDir       = "COFFER_AGENT_DATA_DIR"
	EnvCACert        = "COFFER_CA_CERT"
	EnvCAFingerprint = "COFFER_CA_FINGERPRINT"
)

type flags struct {
	controller, serverName, dataDir string
	joinToken, joinTokenFile        string
	caCert, caFingerprint           string
	name                            string
	logLevel, logFormat             string
	walSocket, walSocketGroup       string
}

// Command returns `coffer agent`; sub are added as its subcommands (the
// API client commands such as `coffer agent token create`).
func Command(sub ...*cobra.Command) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the Coffer agent: enroll with the controller and run its backup and restore jobs",
		Long: `Run the Coffer agent on a host with data to protect.

The first start enrolls the agent: it generates its private key locally (never sent
anywhere), sends a certificate request with a single-use join token and keeps the
client certificate it gets back in --data-dir. Later starts reuse that identity; the
certificate is renewed automatically before it expires.

The controller is verified before the join token is sent: join tokens minted by
` + "`coffer agent token create`" + ` carry the SHA-256 pin of the controller's CA, which is
enough. For other tokens give the CA certificate (--ca-cert) or its fingerprint
(--ca-fingerprint, printed by the controller at start).

Prefer COFFER_JOIN_TOKEN or --join-token-file to --join-token: command lines are
visible to other users of the host.

Environment: COFFER_CONTROLLER, COFFER_JOIN_TOKEN, COFFER_AGENT_DATA_DIR,
COFFER_CA_CERT, COFFER_CA_FINGERPRINT (flags take precedence).`,
		Example: `  coffer agent --controller ctl.example.com:7443 --join-token-file /root/join.token
  COFFER_CONTROLLER=ctl:7443 COFFER_JOIN_TOKEN=cjt1... coffer agent --data-dir /var/lib/coffer/agent`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.controller, "controller", os.Getenv(EnvController), "controller gRPC address HOST:PORT (env "+EnvController+")")
	fl.StringVar(&f.joinToken, "join-token", os.Getenv(EnvJoinToken), "single-use join token for the first start (env "+EnvJoinToken+")")
	fl.StringVar(&f.joinTokenFile, "join-token-file", "", "read the join token from this file")
	fl.StringVar(&f.dataDir, "data-dir", envOr(EnvDataDir, defaultDataDir()), "directory for the agent's key, certificates and state (env "+EnvDataDir+")")
	fl.StringVar(&f.caCert, "ca-cert", os.Getenv(EnvCACert), "controller CA certificate (PEM) to verify the controller at enrollment (env "+EnvCACert+")")
	fl.StringVar(&f.caFingerprint, "ca-fingerprint", os.Getenv(EnvCAFingerprint), "SHA-256 fingerprint of the controller CA certificate (env "+EnvCAFingerprint+")")
	fl.StringVar(&f.serverName, "server-name", "", "name expected in the controller's certificate (default: the host of --controller)")
	fl.StringVar(&f.name, "name", "", "agent name to request (default: host name; a name set on the join token wins)")
	fl.StringVar(&f.walSocket, "wal-socket", "", "Unix socket for wal-push and wal-fetch (default: COFFER_AGENT_SOCKET, else /run/coffer/agent.sock; off: none)")
	fl.StringVar(&f.walSocketGroup, "wal-socket-group", "", "group given access to the WAL socket, e.g. postgres")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "text or json")
	cmd.AddCommand(sub...)
	return cmd
}

func run(cmd *cobra.Command, f *flags) error {
	log, err := newLogger(cmd, f)
	if err != nil {
		return err
	}
	cfg := agent.Config{
		ControllerAddr: f.controller,
		ServerName:     f.serverName,
		DataDir:        f.dataDir,
		JoinToken:      strings.TrimSpace(f.joinToken),
		CAFingerprint:  f.caFingerprint,
		Name:           f.name,
		Version:        cmd.Root().Version,
		WALSocket:      f.walSocket,
		WALSocketGroup: f.walSocketGroup,
		Logger:         log,
	}
	if f.joinTokenFile != "" {
		b, err := os.ReadFile(f.joinTokenFile)
		if err != nil {
			return fmt.Errorf("read join token: %w", err)
		}
		cfg.JoinToken = strings.TrimSpace(string(b))
	}
	if f.caCert != "" {
		if cfg.CACertPEM, err = os.ReadFile(f.caCert); err != nil {
			return fmt.Errorf("read CA certificate: %w", err)
		}
	}
	return agent.Run(cmd.Context(), cfg)
}

func newLogger(cmd *cobra.Command, f *flags) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), opts)), nil
	}
	return nil, errors.New("--log-format: want text or json")
}

// defaultDataDir is /var/lib/coffer/agent for root, else under the user's
// home directory.
func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/coffer/agent"
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "coffer", "agent")
	}
	return ".coffer-agent"
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
