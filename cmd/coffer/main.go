// Command coffer is the single Coffer binary: repository tools today, and the
// controller, agent and dev mode as they land.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/agentcmd"
	"github.com/cofferhq/coffer/controller/server"
	"github.com/cofferhq/coffer/internal/cli"
	"github.com/cofferhq/coffer/internal/client"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:           "coffer",
		Short:         "Backup and recovery for PostgreSQL, MySQL/MariaDB, MongoDB and file systems",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cli.ExitError{Code: cli.ExitUsage, Err: err}
	})
	root.AddCommand(cli.RepoCommand())
	root.AddCommand(cli.WALPushCommand())
	root.AddCommand(cli.WALFetchCommand())
	root.AddCommand(cli.PostgresCommand())
	root.AddCommand(server.Command(version))
	root.AddCommand(devCommand())
	root.AddCommand(client.BackupCommand())
	root.AddCommand(client.RestoreCommand())
	root.AddCommand(client.RecoveryCommand())
	root.AddCommand(client.ScheduleCommand())
	root.AddCommand(client.SourceCommand())
	root.AddCommand(client.StorageCommand())
	root.AddCommand(client.TokenCommand())
	root.AddCommand(agentcmd.Command(client.AgentCommands()...))
	stopProfile := startCPUProfile()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	stopProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffer:", err)
	}
	os.Exit(cli.ExitCode(err))
}

// startCPUProfile writes a CPU profile to $COFFER_CPUPROFILE when it is set,
// and its stop a heap profile to $COFFER_MEMPROFILE: how `make bench`
// findings are explained without a special build.
func startCPUProfile() func() {
	path := os.Getenv("COFFER_CPUPROFILE")
	if path == "" {
		return writeHeapProfile
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffer: cpu profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close(); writeHeapProfile() }
}

// writeHeapProfile writes the live heap at exit to $COFFER_MEMPROFILE.
func writeHeapProfile() {
	path := os.Getenv("COFFER_MEMPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffer: heap profile:", err)
	}
}
