package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/test/bufconn"

	"github.com/cofferhq/coffer/controller/api"
	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/audit"
	"github.com/cofferhq/coffer/controller/auth"
	"github.com/cofferhq/coffer/controller/dispatch"
	"github.com/cofferhq/coffer/controller/enroll"
	"github.com/cofferhq/coffer/controller/gateway"
	"github.com/cofferhq/coffer/controller/repos"
	"github.com/cofferhq/coffer/controller/scheduler"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/pki"
	"github.com/cofferhq/coffer/web"
)

// Server is a running controller.
type Server struct {
	cfg   Config
	log   *slog.Logger
	Store catalog.Store
	// CA signs agent certificates; CACertFile is where its certificate is.
	CA         *pki.CA
	CACertFile string
	Deps       *api.Deps
	Dispatcher *dispatch.Dispatcher
	// AdminToken is the admin token minted on this (first) start, else "".
	AdminToken string
	// Metrics holds the controller's Prometheus collectors, served at
	// GET /metrics.
	Metrics *prometheus.Registry

	grpcLn, httpLn net.Listener
	inner          *bufconn.Listener
	grpcSrv        *grpc.Server
	innerSrv       *grpc.Server
	httpSrv        *http.Server
	gwConn         *grpc.ClientConn
	sched          *scheduler.Scheduler
}

// New opens the catalog, prepares keys and certificates, binds the
// listeners and bootstraps a fresh catalog. Run serves.
func New(ctx context.Context, cfg Config, version string, log *slog.Logger) (_ *Server, err error) {
	cfg.resolve()
	s := &Server{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	store, engine, err := openCatalog(ctx, cfg.Catalog.DSN)
	if err != nil {
		return nil, err
	}
	s.Store = store
	log.Info("catalog open", "engine", engine)
	key, err := sealer.LoadOrCreateKey(cfg.SecretsKeyFile)
	if err != nil {
		return nil, err
	}
	seal := sealer.New(key)
	now, err := store.Now(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.loadCA(now); err != nil {
		return nil, err
	}
	auditLog := audit.New(store)
	s.Metrics = prometheus.NewRegistry()
	s.Dispatcher = dispatch.New(dispatch.Config{
		Metrics:  s.Metrics,
		LeaseTTL: cfg.Agents.LeaseTTL, StallTimeout: cfg.Agents.StallTimeout, HeartbeatInterval: cfg.Agents.HeartbeatInterval,
		MaxJobsPerAgent: cfg.Agents.MaxJobsPerAgent, MinProtocolVersion: cfg.Agents.MinProtocolVersion, ControllerVersion: version,
	}, store, seal, auditLog, log.With("component", "dispatch"))
	s.Deps = &api.Deps{
		Store: store, Sealer: seal, Audit: auditLog, Log: log, Dispatcher: s.Dispatcher,
		Repos: &repos.Manager{Sealer: seal}, CA: s.CA, Now: time.Now,
		AgentOnlineWindow: 3 * s.Dispatcher.Config().HeartbeatInterval,
	}
	if err := s.listen(ctx, version); err != nil {
		return nil, err
	}
	if s.AdminToken, err = bootstrapAdmin(ctx, s.Deps, cfg.AdminTokenFile); err != nil {
		return nil, err
	}
	if err := bootstrapStorage(ctx, s.Deps, cfg.Storage.Default); err != nil {
		return nil, err
	}
	if !cfg.Scheduler.Disabled {
		s.sched = scheduler.New(store, s.createScheduled, scheduler.Options{
			Holder: holderID(), Tick: cfg.Scheduler.Tick, LeaseTTL: cfg.Scheduler.LeaseTTL, Log: log.With("component", "scheduler"),
		})
	}
	return s, nil
}

func (s *Server) loadCA(now time.Time) error {
	var err error
	if s.cfg.CA.CertFile != "" {
		s.CA, err = pki.LoadCA(s.cfg.CA.CertFile, s.cfg.CA.KeyFile)
		s.CACertFile = s.cfg.CA.CertFile
		return err
	}
	dir := filepath.Join(s.cfg.DataDir, "ca")
	s.CA, err = pki.LoadOrCreateCA(dir, now)
	s.CACertFile = filepath.Join(dir, pki.CACertFile)
	return err
}

// listen binds the gRPC and HTTP listeners and builds the servers.
func (s *Server) listen(ctx context.Context, version string) error {
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, s.cfg.GRPC.ServerNames...)
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	if h, _, err := net.SplitHostPort(s.cfg.GRPC.Addr); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		hosts = append(hosts, h)
	}
	cert, err := s.CA.IssueServerCert(hosts, time.Now(), 365*24*time.Hour)
	if err != nil {
		return err
	}
	authn := auth.NewAuthenticator(s.Store, time.Now)
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(apierr.UnaryInterceptor(s.log), authn.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(apierr.StreamInterceptor(s.log), authn.StreamInterceptor()),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	}
	s.grpcSrv = grpc.NewServer(append(opts, grpc.Creds(credentials.NewTLS(s.CA.ServerTLSConfig(cert))))...)
	api.Register(s.grpcSrv, s.Deps)
	cofferv1.RegisterAgentChannelServiceServer(s.grpcSrv, s.Dispatcher)
	cofferv1.RegisterEnrollmentServiceServer(s.grpcSrv, &enroll.Service{
		Store: s.Store, CA: s.CA, Audit: s.Deps.Audit, Log: s.log, CertTTL: s.cfg.Agents.CertTTL,
	})
	// The gateway reaches the same services through an in-memory
	// connection, so REST requests pass the same interceptors.
	s.inner = bufconn.Listen(1 << 20)
	s.innerSrv = grpc.NewServer(opts...)
	api.Register(s.innerSrv, s.Deps)
	s.gwConn, err = grpc.NewClient("passthrough:///coffer-gateway",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return s.inner.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("gateway connection: %w", err)
	}
	gw, err := gateway.New(ctx, s.gwConn)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", gw)
	mux.Handle("/", web.Handler()) // the dashboard: static files over the same API
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}))
	s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if s.grpcLn, err = net.Listen("tcp", s.cfg.GRPC.Addr); err != nil {
		return fmt.Errorf("listen gRPC %s: %w", s.cfg.GRPC.Addr, err)
	}
	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTP.Addr); err != nil {
		return fmt.Errorf("listen HTTP %s: %w", s.cfg.HTTP.Addr, err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Store.Now(r.Context()); err != nil {
		http.Error(w, "catalog unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// createScheduled creates a schedule run's backups through the API path.
func (s *Server) createScheduled(ctx context.Context, r scheduler.Request) ([]catalog.Backup, error) {
	return s.Deps.CreateBackups(ctx, api.BackupRequest{
		Type: r.Schedule.BackupType, Sources: r.Sources, Compression: true, ScheduledFor: r.ScheduledFor,
		StorageLocationID: r.Schedule.StorageLocationID, ScheduleID: r.Schedule.ID,
		IdempotencyKey: r.IdempotencyKey, Actor: "system:scheduler",
	})
}

// GRPCAddr and HTTPAddr are the bound addresses.
func (s *Server) GRPCAddr() string { return s.grpcLn.Addr().String() }

// HTTPAddr is the bound REST address.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// Run serves until ctx ends, then stops gracefully.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	serve := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				errs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	serve("gRPC", func() error { return s.grpcSrv.Serve(s.grpcLn) })
	serve("gateway", func() error { return s.innerSrv.Serve(s.inner) })
	serve("HTTP", func() error {
		if s.cfg.HTTP.TLSCertFile != "" {
			return s.httpSrv.ServeTLS(s.httpLn, s.cfg.HTTP.TLSCertFile, s.cfg.HTTP.TLSKeyFile)
		}
		return s.httpSrv.Serve(s.httpLn)
	})
	wg.Add(1)
	go func() { defer wg.Done(); s.Dispatcher.Sweep(ctx) }()
	if s.sched != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.sched.Run(ctx) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	cancel()
	s.shutdown()
	wg.Wait()
	return err
}

func (s *Server) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.httpSrv.Shutdown(ctx)
	// Agent channels never end by themselves: stop after a grace period.
	done := make(chan struct{})
	go func() { s.grpcSrv.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		s.grpcSrv.Stop()
	}
	s.innerSrv.Stop()
}

// Close releases what New opened; Run's caller calls it after Run.
func (s *Server) Close() {
	if s.gwConn != nil {
		s.gwConn.Close()
	}
	for _, l := range []net.Listener{s.grpcLn, s.httpLn} {
		if l != nil {
			l.Close()
		}
	}
	if s.Store != nil {
		s.Store.Close()
	}
}

func holderID() string {
	h, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", h, os.Getpid(), hex.EncodeToString(b))
}
