package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// flagValues are the command-line overrides; only flags that were set
// apply (defaults < file < environment < flags).
type flagValues struct {
	config, dataDir, catalogDSN, httpAddr, grpcAddr, adminTokenFile, logLevel string
}

// Command returns `coffer controller`.
func Command(version string) *cobra.Command {
	cmd, _ := newCommand(version)
	return cmd
}

func newCommand(version string) (*cobra.Command, *flagValues) {
	f := &flagValues{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the Coffer controller (API, scheduler, agent channel)",
		Long: `Run the Coffer controller.

Configuration comes from built-in defaults, then --config FILE (YAML, see
deploy/controller.yaml), then COFFER_* environment variables, then flags.
On first start it creates the CA, the controller key and an admin API token,
which is printed once (and written to --admin-token-file when given).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd, os.Getenv)
			if err != nil {
				return err
			}
			log := NewLogger(cfg.Log, cmd.ErrOrStderr())
			s, err := New(cmd.Context(), cfg, version, log)
			if err != nil {
				return err
			}
			defer s.Close()
			PrintStartup(cmd.OutOrStdout(), s)
			return s.Run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "YAML configuration file")
	fl.StringVar(&f.dataDir, "data-dir", "", "data directory (CA, controller key, SQLite catalog)")
	fl.StringVar(&f.catalogDSN, "catalog-dsn", "", "catalog: postgres://... URL or SQLite file path")
	fl.StringVar(&f.httpAddr, "http-addr", "", "REST listen address HOST:PORT")
	fl.StringVar(&f.grpcAddr, "grpc-addr", "", "gRPC listen address HOST:PORT (TLS; agents and API)")
	fl.StringVar(&f.adminTokenFile, "admin-token-file", "", "write the first-start admin token here (0600)")
	fl.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error")
	return cmd, f
}

// load builds the configuration: defaults, then the file, then the
// environment, then the flags that were set.
func (f *flagValues) load(cmd *cobra.Command, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	if f.config != "" {
		if err := cfg.LoadFile(f.config); err != nil {
			return cfg, err
		}
	}
	if err := cfg.ApplyEnv(getenv); err != nil {
		return cfg, err
	}
	set := func(name string, dst *string, v string) {
		if cmd.Flags().Changed(name) {
			*dst = v
		}
	}
	set("data-dir", &cfg.DataDir, f.dataDir)
	set("catalog-dsn", &cfg.Catalog.DSN, f.catalogDSN)
	set("http-addr", &cfg.HTTP.Addr, f.httpAddr)
	set("grpc-addr", &cfg.GRPC.Addr, f.grpcAddr)
	set("admin-token-file", &cfg.AdminTokenFile, f.adminTokenFile)
	set("log-level", &cfg.Log.Level, f.logLevel)
	return cfg, nil
}

// NewLogger builds the process logger.
func NewLogger(c LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// PrintStartup tells the operator where things are; the admin token is
// printed only on the start that minted it.
func PrintStartup(w io.Writer, s *Server) {
	scheme := "http"
	if s.cfg.HTTP.TLSCertFile != "" {
		scheme = "https"
	}
	sum := sha256.Sum256(s.CA.Cert.Raw)
	fmt.Fprintf(w, "Coffer controller\n  REST API:        %s://%s/api\n  gRPC (TLS):      %s\n  CA certificate:  %s\n  CA fingerprint:  sha256:%s\n",
		scheme, s.HTTPAddr(), s.GRPCAddr(), s.CACertFile, hex.EncodeToString(sum[:]))
	if s.AdminToken != "" {
		fmt.Fprintf(w, "  Admin API token (shown once, store it now): %s\n", s.AdminToken)
		if s.cfg.AdminTokenFile != "" {
			fmt.Fprintf(w, "  Admin token file: %s\n", s.cfg.AdminTokenFile)
		}
	}
}
