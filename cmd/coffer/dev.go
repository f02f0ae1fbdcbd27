package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent"
	"github.com/cofferhq/coffer/agent/enroll"
	"github.com/cofferhq/coffer/controller/server"
)

// devCommand is `coffer dev`: a controller and one agent in one process,
// talking real gRPC with mTLS on loopback, with everything under one
// directory (SQLite catalog, CA, repository and its key, admin token).
func devCommand() *cobra.Command {
	var dataDir, httpAddr, grpcAddr, logLevel string
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a controller and one agent in one process, for trying Coffer out",
		Long: `Run a controller and one enrolled agent in one process.

Everything lives under --data-dir (default ./.coffer): the SQLite catalog, the CA,
the local repository (repo/) and its key file (repo.key), the agent's identity
(agent/), the agent's WAL socket for wal-push and wal-fetch (agent.sock) and the admin
API token (admin.token, mode 0600). The REST API listens on
--http-addr and gRPC (with mTLS for the agent) on --grpc-addr, both on localhost.
It runs until interrupted (Ctrl-C or SIGTERM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dataDir, httpAddr, grpcAddr, logLevel)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", ".coffer", "directory for the catalog, CA, repository, key and admin token")
	cmd.Flags().StringVar(&httpAddr, "http-addr", "127.0.0.1:8080", "REST listen address HOST:PORT")
	cmd.Flags().StringVar(&grpcAddr, "grpc-addr", "127.0.0.1:9090", "gRPC listen address HOST:PORT")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

// devConfig is the controller configuration of `coffer dev`.
func devConfig(dir, httpAddr, grpcAddr, logLevel string) server.Config {
	cfg := server.Defaults()
	cfg.DataDir = dir
	cfg.Catalog.DSN = filepath.Join(dir, "catalog.db")
	cfg.HTTP.Addr = httpAddr
	cfg.GRPC.Addr = grpcAddr
	cfg.AdminTokenFile = filepath.Join(dir, "admin.token")
	cfg.Storage.Default = server.DefaultLocation{
		Name: "local", URL: "file://" + filepath.Join(dir, "repo"), KeyFile: filepath.Join(dir, "repo.key"),
	}
	cfg.Log.Level = logLevel
	return cfg
}

func runDev(ctx context.Context, stdout, stderr io.Writer, dataDir, httpAddr, grpcAddr, logLevel string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	cfg := devConfig(dir, httpAddr, grpcAddr, logLevel)
	log := server.NewLogger(cfg.Log, stderr)
	ctl, err := server.New(ctx, cfg, version, log.With("process", "controller"))
	if err != nil {
		return err
	}
	defer ctl.Close()

	agentDir := filepath.Join(dir, "agent")
	agentCfg := agent.Config{
		ControllerAddr: ctl.GRPCAddr(),
		ServerName:     "127.0.0.1",
		DataDir:        agentDir,
		WALSocket:      filepath.Join(dir, "agent.sock"),
		CACertPEM:      ctl.CA.CertPEM,
		Name:           "dev-agent",
		Version:        version,
		Logger:         log.With("process", "agent"),
	}
	if _, err := (enroll.Store{Dir: agentDir}).Load(time.Now()); errors.Is(err, enroll.ErrNotEnrolled) {
		tok, _, err := ctl.Deps.MintJoinToken(ctx, "dev-agent", 10*time.Minute, "system:dev")
		if err != nil {
			return fmt.Errorf("join token for the dev agent: %w", err)
		}
		agentCfg.JoinToken = tok.String()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- ctl.Run(ctx) }()
	go func() {
		defer wg.Done()
		if err := agent.Run(ctx, agentCfg); err != nil {
			errs <- fmt.Errorf("agent: %w", err)
			return
		}
		errs <- nil
	}()
	printDev(stdout, ctl, cfg)
	err = <-errs // the first to stop (or ctx) ends both
	cancel()
	wg.Wait()
	return err
}

func printDev(w io.Writer, ctl *server.Server, cfg server.Config) {
	server.PrintStartup(w, ctl)
	if ctl.AdminToken == "" { // PrintStartup names the file only when it minted the token
		fmt.Fprintf(w, "  Admin token file: %s\n", cfg.AdminTokenFile)
	}
	fmt.Fprintf(w, `  Repository:      %s (key file %s)
  Agent:           dev-agent, data in %s
  WAL socket:      %s (coffer wal-push --agent-socket)

Try:
  export COFFER_ADDR=http://%s COFFER_TOKEN=$(cat %s)
  coffer source create --name demo --type files --path /some/dir
  coffer backup create demo
Stop with Ctrl-C.
`, cfg.Storage.Default.URL, cfg.Storage.Default.KeyFile, filepath.Join(cfg.DataDir, "agent"), filepath.Join(cfg.DataDir, "agent.sock"),
		ctl.HTTPAddr(), cfg.AdminTokenFile)
}
