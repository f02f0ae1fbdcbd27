package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/cofferhq/coffer/agent/enroll"
	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/session"
	"github.com/cofferhq/coffer/agent/walsock"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Run is the agent: it returns nil when ctx ends, or an error when the agent
// cannot work (no identity and no usable join token, a refused token, an
// untrusted controller, a revoked or too-old agent).
func Run(ctx context.Context, c Config) error {
	cfg, err := c.withDefaults()
	if err != nil {
		return err
	}
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	id, err := loadOrEnroll(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	var current atomic.Pointer[enroll.Identity]
	current.Store(id)
	log = log.With("agent_id", id.AgentID)

	serverName := cfg.ServerName
	if serverName == "" {
		serverName = enroll.ServerName(cfg.ControllerAddr)
	}
	// A new connection per stream and per renewal: each handshake presents
	// the certificate current at that moment.
	dial := func() (*grpc.ClientConn, error) {
		return grpc.NewClient(cfg.ControllerAddr,
			grpc.WithTransportCredentials(credentials.NewTLS(enroll.ClientTLS(serverName, current.Load))))
	}

	var sess *session.Session
	jobs, err := runner.New(runner.Options{
		Sources:     cfg.Sources,
		OpenStorage: cfg.OpenStorage,
		KEK:         cfg.KEK,
		Send:        func(m *cofferv1.ConnectRequest) bool { return sess.Send(m) },
		StateDir:    filepath.Join(cfg.DataDir, "results"),
		Hostname:    cfg.Hostname,
		Now:         cfg.Now,
		Log:         log,
	})
	if err != nil {
		return err
	}
	reporter := walsock.NewReporter(walsock.ReporterOptions{
		Send:     func(m *cofferv1.ConnectRequest) bool { return sess.Send(m) },
		Debounce: cfg.WALReportDebounce, Interval: cfg.WALReportInterval, Now: cfg.Now, Log: log,
	})
	stopSocket, err := startWALSocket(cfg, reporter.Pushed, log)
	if err != nil {
		jobs.Close()
		return err
	}
	defer stopSocket()
	sess = session.New(func() (cofferv1.AgentChannelServiceClient, func() error, error) {
		conn, err := dial()
		if err != nil {
			return nil, nil, err
		}
		return cofferv1.NewAgentChannelServiceClient(conn), conn.Close, nil
	}, session.Options{
		AgentVersion: cfg.Version,
		Capabilities: cfg.Capabilities,
		Hostname:     cfg.Hostname,
		Backoff:      cfg.Backoff,
		Now:          cfg.Now,
		Log:          log,
		OnWelcome: func(w *cofferv1.ControllerWelcome) {
			jobs.SetProgressInterval(time.Duration(w.GetProgressIntervalSeconds()) * time.Second)
			reporter.ReportAll() // the controller may have missed reports while away
			if cfg.OnConnected != nil {
				cfg.OnConnected(w.GetAgentId())
			}
		},
	})

	renewCtx, stopRenew := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { renewLoop(renewCtx, cfg, dial, &current, sess.Restart, log) })
	wg.Go(func() { reporter.Run(renewCtx) })
	err = sess.Run(ctx, jobs)
	stopRenew()
	wg.Wait()
	jobs.Close()
	if ctx.Err() != nil {
		log.Info("agent stopped")
		return nil
	}
	return err
}
