package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func (s *Store) readLease(ctx context.Context, c conn, name, lock string) (catalog.LeaderLease, error) {
	var l catalog.LeaderLease
	err := c.row(ctx, `SELECT name, holder, epoch, expires_at FROM leader_leases WHERE name = ?`+lock, name).
		Scan(&l.Name, &l.Holder, &l.Epoch, timeCol{&l.ExpiresAt})
	return l, s.fail("leader lease "+name, err)
}

// AcquireLeaderLease takes or renews the named lease for holder.
func (s *Store) AcquireLeaderLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (catalog.LeaderLease, error) {
	var out catalog.LeaderLease
	err := s.inTx(ctx, func(c conn) error {
		// The row exists from the first call on; epoch 0 with an expired
		// lease means "never held".
		if _, err := c.exec(ctx, `INSERT INTO leader_leases (name, holder, epoch, expires_at)
			VALUES (?, '', 0, ?) ON CONFLICT (name) DO NOTHING`, name, s.t(time.Unix(0, 0))); err != nil {
			return s.fail("create leader lease "+name, err)
		}
		l, err := s.readLease(ctx, c, name, s.d.ForUpdate)
		if err != nil {
			return err
		}
		expired := !l.ExpiresAt.After(now)
		switch {
		case l.Holder == holder && !expired:
			// Renewal by the holder: same epoch.
		case expired || l.Holder == "":
			l.Epoch++
			l.Holder = holder
		default:
			return fmt.Errorf("leader lease %s held by %s until %s: %w", name, l.Holder,
				l.ExpiresAt.Format(time.RFC3339Nano), catalog.ErrLeaseHeld)
		}
		l.ExpiresAt = utc(now.Add(ttl))
		if _, err := c.exec(ctx, `UPDATE leader_leases SET holder = ?, epoch = ?, expires_at = ? WHERE name = ?`,
			l.Holder, l.Epoch, s.t(l.ExpiresAt), name); err != nil {
			return s.fail("acquire leader lease "+name, err)
		}
		out = l
		return nil
	})
	return out, err
}

// RenewLeaderLease extends the lease if holder still holds it at epoch.
func (s *Store) RenewLeaderLease(ctx context.Context, name, holder string, epoch int64, now time.Time, ttl time.Duration) (catalog.LeaderLease, error) {
	n, err := s.c().affected(ctx, `UPDATE leader_leases SET expires_at = ?
		WHERE name = ? AND holder = ? AND epoch = ? AND expires_at > ?`,
		s.t(now.Add(ttl)), name, holder, epoch, s.t(now))
	if err != nil {
		return catalog.LeaderLease{}, s.fail("renew leader lease "+name, err)
	}
	if n == 0 {
		return catalog.LeaderLease{}, fmt.Errorf("leader lease %s for %s at epoch %d: %w", name, holder, epoch, catalog.ErrLeaseLost)
	}
	return s.GetLeaderLease(ctx, name)
}

// ReleaseLeaderLease ends holder's lease now, keeping the epoch so the next
// acquisition increments it.
func (s *Store) ReleaseLeaderLease(ctx context.Context, name, holder string, epoch int64) error {
	n, err := s.c().affected(ctx, `UPDATE leader_leases SET holder = '', expires_at = ?
		WHERE name = ? AND holder = ? AND epoch = ?`, s.t(time.Unix(0, 0)), name, holder, epoch)
	if err != nil {
		return s.fail("release leader lease "+name, err)
	}
	if n == 0 {
		return fmt.Errorf("leader lease %s for %s at epoch %d: %w", name, holder, epoch, catalog.ErrLeaseLost)
	}
	return nil
}

// GetLeaderLease returns the named lease.
func (s *Store) GetLeaderLease(ctx context.Context, name string) (catalog.LeaderLease, error) {
	return s.readLease(ctx, s.c(), name, "")
}
