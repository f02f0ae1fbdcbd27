package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/agent/source/postgres"
	"github.com/cofferhq/coffer/agent/walsock"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
)

// agentConnectTimeout bounds the wait for the agent's socket: a down agent
// must not hold up archive_command.
const agentConnectTimeout = 2 * time.Second

func addSocketFlag(cmd *cobra.Command, socket *string) {
	cmd.Flags().StringVar(socket, "agent-socket", walsock.SocketPath(),
		"the local agent's WAL socket; '' to always use the repository directly (env "+walsock.EnvSocket+")")
}

// pushed tells what wal-push did, whichever way it went.
type pushed struct {
	object, via  string
	existed      bool
	size, stored int64
}

// push archives path through the agent, or directly when the agent is
// down. When the agent was reached but lost during the push (killed,
// restarted), the push is repeated directly: the agent may or may not have
// stored the file, and a repeated push of the same bytes is accepted
// without writing, so the retry cannot duplicate or lose a segment. An
// answer from the agent (stored, refused, failed) is final.
func push(cmd *cobra.Command, f *repoFlags, socket, source, path string) (pushed, error) {
	ctx := cmd.Context()
	if socket != "" {
		res, err := pushViaAgent(ctx, f, socket, source, path)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, walsock.ErrAgentLost):
			fmt.Fprintf(cmd.ErrOrStderr(), "coffer wal-push: %v; writing the repository directly\n", err)
		case !errors.Is(err, walsock.ErrAgentDown):
			return pushed{}, err
		}
	}
	r, err := f.openNoIndex(cmd)
	if err != nil {
		return pushed{}, err
	}
	defer r.Backend().Close()
	res, err := postgres.PushWAL(ctx, r, source, path)
	if err != nil {
		return pushed{}, err
	}
	return pushed{object: res.File.Object(), via: "directly", existed: res.Existed, size: res.Size, stored: res.Stored}, nil
}

func pushViaAgent(ctx context.Context, f *repoFlags, socket, source, path string) (pushed, error) {
	spec, err := f.walRepository()
	if err != nil {
		return pushed{}, err
	}
	name := filepath.Base(path)
	if _, err := repo.ParseLogFile(source, name); err != nil {
		return pushed{}, err
	}
	c, err := walsock.Dial(ctx, socket, agentConnectTimeout)
	if err != nil {
		return pushed{}, err
	}
	defer c.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		return pushed{}, fmt.Errorf("read %s: %w", path, err)
	}
	res, err := c.Push(ctx, &cofferv1.PushWalRequest{Repository: spec, Stream: source, Name: name, Data: data})
	if err != nil {
		return pushed{}, err
	}
	return pushed{object: res.GetObject(), via: "via the agent", existed: res.GetExisted(), size: int64(len(data)), stored: res.GetStoredBytes()}, nil
}

// fetch restores one archived file through the agent, or directly when
// the agent is down or lost (reading twice is harmless).
func fetch(cmd *cobra.Command, f *repoFlags, socket, source, name, dest string) error {
	if source == "" {
		return usageErr(errors.New("--source is required"))
	}
	ctx := cmd.Context()
	if socket != "" {
		err := fetchViaAgent(ctx, f, socket, source, name, dest)
		if err == nil || !(errors.Is(err, walsock.ErrAgentDown) || errors.Is(err, walsock.ErrAgentLost)) {
			return err
		}
	}
	r, err := f.openNoIndex(cmd)
	if err != nil {
		return err
	}
	defer r.Backend().Close()
	return postgres.FetchWAL(ctx, r, source, name, dest)
}

func fetchViaAgent(ctx context.Context, f *repoFlags, socket, source, name, dest string) error {
	spec, err := f.walRepository()
	if err != nil {
		return err
	}
	c, err := walsock.Dial(ctx, socket, agentConnectTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	return postgres.FetchWAL(ctx, agentLoader{c: c, spec: spec}, source, name, dest)
}

// agentLoader loads log files through the agent, for postgres.FetchWAL
// (which writes and renames the destination the same way for both paths).
type agentLoader struct {
	c    *walsock.Client
	spec *cofferv1.WalRepository
}

func (l agentLoader) LoadLogSegment(ctx context.Context, f repo.LogFile, w io.Writer) (repo.LogSegmentInfo, error) {
	data, err := l.c.Fetch(ctx, &cofferv1.FetchWalRequest{Repository: l.spec, Stream: f.Stream, Name: f.Name})
	if err != nil {
		return repo.LogSegmentInfo{}, err
	}
	if _, err := w.Write(data); err != nil {
		return repo.LogSegmentInfo{}, err
	}
	return repo.LogSegmentInfo{Object: f.Object(), Size: int64(len(data))}, nil
}

// walRepository is the repository and key material of the flags, for
// the agent; the agent never reads files named by a client.
func (f *repoFlags) walRepository() (_ *cofferv1.WalRepository, err error) {
	if f.repo == "" {
		return nil, usageErr(errors.New("no repository given: use --repo or COFFER_REPO"))
	}
	url := f.repo
	if !strings.Contains(url, "://") { // a path: the agent's working directory is not ours
		if url, err = filepath.Abs(url); err != nil {
			return nil, err
		}
	}
	spec := &cofferv1.WalRepository{Url: url, SftpKeyFile: f.storage.SFTPKeyFile, SftpKnownHosts: f.storage.SFTPKnownHosts}
	keyFile, pass, err := f.key()
	if err != nil {
		return nil, err
	}
	spec.Passphrase = pass
	if keyFile != "" {
		if spec.KeyFile, err = os.ReadFile(keyFile); err != nil {
			return nil, fmt.Errorf("read key file: %w", err)
		}
	}
	return spec, nil
}
