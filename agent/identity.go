package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cofferhq/coffer/agent/enroll"
)

// loadOrEnroll returns the stored identity, enrolling first when there is
// none (or its certificate has expired and a join token is given).
func loadOrEnroll(ctx context.Context, cfg Config, log *slog.Logger) (*enroll.Identity, error) {
	store := enroll.Store{Dir: cfg.DataDir}
	id, err := store.Load(cfg.Now())
	switch {
	case err == nil && cfg.Now().Before(id.NotAfter()):
		if cfg.JoinToken != "" {
			log.Info("already enrolled, join token not used", slog.String("agent_id", id.AgentID))
		}
		return id, nil
	case err == nil:
		if cfg.JoinToken == "" {
			return nil, fmt.Errorf("agent %s: its certificate expired at %s (the agent was offline too long to renew it); enroll again with a new join token (coffer agent token create, then --join-token)",
				id.AgentID, id.NotAfter().UTC().Format(time.RFC3339))
		}
		log.Warn("client certificate expired, enrolling again", slog.String("agent_id", id.AgentID), slog.Time("expired_at", id.NotAfter()))
	case errors.Is(err, enroll.ErrNotEnrolled):
		if cfg.JoinToken == "" {
			return nil, errors.New("agent is not enrolled: give a join token with --join-token or COFFER_JOIN_TOKEN (an admin creates one with `coffer agent token create`)")
		}
	default:
		return nil, err
	}
	return enrollWithRetry(ctx, cfg, store, log)
}

// enrollWithRetry enrolls, retrying while the controller is unreachable;
// a refused token or an untrusted controller ends it at once.
func enrollWithRetry(ctx context.Context, cfg Config, store enroll.Store, log *slog.Logger) (*enroll.Identity, error) {
	req := enroll.Request{
		Addr:       cfg.ControllerAddr,
		ServerName: cfg.ServerName,
		Token:      cfg.JoinToken,
		Trust:      enroll.Trust{CAPEM: cfg.CACertPEM, Fingerprint: cfg.CAFingerprint},
		Name:       cfg.Name,
		Hostname:   cfg.Hostname,
		Version:    cfg.Version,
		Now:        cfg.Now,
	}
	next := cfg.Backoff.Sequence()
	for {
		id, err := store.Enroll(ctx, req)
		if err == nil {
			log.Info("enrolled with the controller", slog.String("agent_id", id.AgentID), slog.Time("cert_expires_at", id.NotAfter()))
			return id, nil
		}
		var refused *enroll.RefusedError
		if errors.As(err, &refused) {
			return nil, fmt.Errorf("enrollment failed: %w; ask an admin for a new join token (coffer agent token create)", err)
		}
		if enroll.IsPermanent(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("enrollment failed: %w", err)
		}
		d := next()
		log.Warn("enrollment failed, retrying", slog.Any("error", err), slog.Duration("retry_in", d))
		if !sleep(ctx, d) {
			return nil, ctx.Err()
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
