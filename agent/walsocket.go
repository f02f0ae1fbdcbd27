package agent

import (
	"log/slog"

	"github.com/cofferhq/coffer/agent/walsock"
)

// startWALSocket serves the WAL socket of cfg and returns its stop
// function. Only an explicitly configured socket that cannot be bound is
// an error: without the socket archiving still works, directly.
func startWALSocket(cfg Config, pushed func(walsock.Target), log *slog.Logger) (func(), error) {
	path := cfg.WALSocket
	if path == WALSocketOff {
		return func() {}, nil
	}
	explicit := path != ""
	if !explicit {
		path = walsock.SocketPath()
	}
	ln, err := walsock.Listen(path, cfg.WALSocketGroup)
	if err != nil {
		if explicit {
			return nil, err
		}
		log.Warn("WAL socket not served: wal-push and wal-fetch will use repositories directly", "socket", path, "err", err)
		return func() {}, nil
	}
	srv := walsock.NewServer(walsock.Options{Pushed: pushed, Log: log.With("component", "walsock")})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil {
			log.Error("WAL socket stopped", "socket", path, "err", err)
		}
	}()
	log.Info("WAL socket listening", "socket", path)
	return func() { srv.Stop(); <-done }, nil
}
