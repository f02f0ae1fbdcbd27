package agent

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/cofferhq/coffer/agent/enroll"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// renewLoop renews the client certificate at its RenewAt time over mTLS,
// swaps it into current and calls restarted so the channel moves to a
// connection authenticated with it. Failures are retried until the
// certificate expires.
func renewLoop(ctx context.Context, cfg Config, dial func() (*grpc.ClientConn, error), current *atomic.Pointer[enroll.Identity], restart func(), log *slog.Logger) {
	store := enroll.Store{Dir: cfg.DataDir}
	retry := cfg.Backoff.Sequence()
	var failing bool
	for {
		id := current.Load()
		now := cfg.Now()
		wait := id.RenewAt(now).Sub(now)
		if failing {
			wait = min(retry(), max(id.NotAfter().Sub(now)/4, time.Second))
		}
		if !sleep(ctx, wait) {
			return
		}
		next, err := renewOnce(ctx, store, dial, id, cfg.Now())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failing = true
			log.Warn("certificate renewal failed", slog.Any("error", err), slog.Time("expires_at", id.NotAfter()))
			continue
		}
		failing = false
		retry = cfg.Backoff.Sequence()
		current.Store(next)
		log.Info("client certificate renewed", slog.String("serial", next.Certificate.Leaf.SerialNumber.Text(16)), slog.Time("expires_at", next.NotAfter()))
		restart()
	}
}

func renewOnce(ctx context.Context, store enroll.Store, dial func() (*grpc.ClientConn, error), id *enroll.Identity, now time.Time) (*enroll.Identity, error) {
	conn, err := dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return store.Renew(ctx, cofferv1.NewEnrollmentServiceClient(conn), id, now)
}
