package catalogtest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func testLeaderLease(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	const name, ttl = "scheduler", 15 * time.Second
	t0 := now(t, s)
	_, err := s.GetLeaderLease(ctx, name)
	wantErr(t, err, catalog.ErrNotFound)

	a := must(s.AcquireLeaderLease(ctx, name, "ctl-a", t0, ttl))(t)
	eq(t, "first epoch", a.Epoch, int64(1))
	sameTime(t, "expiry", a.ExpiresAt, us(t0.Add(ttl)))
	_, err = s.AcquireLeaderLease(ctx, name, "ctl-b", t0.Add(time.Second), ttl)
	wantErr(t, err, catalog.ErrLeaseHeld)
	a = must(s.AcquireLeaderLease(ctx, name, "ctl-a", t0.Add(5*time.Second), ttl))(t)
	eq(t, "re-acquire by holder keeps epoch", a.Epoch, int64(1))
	a = must(s.RenewLeaderLease(ctx, name, "ctl-a", 1, t0.Add(10*time.Second), ttl))(t)
	sameTime(t, "renewed", a.ExpiresAt, us(t0.Add(25*time.Second)))
	_, err = s.RenewLeaderLease(ctx, name, "ctl-b", 1, t0.Add(10*time.Second), ttl)
	wantErr(t, err, catalog.ErrLeaseLost)

	// a stops renewing; b takes over after expiry with a new epoch.
	t1 := t0.Add(26 * time.Second)
	b := must(s.AcquireLeaderLease(ctx, name, "ctl-b", t1, ttl))(t)
	eq(t, "takeover epoch", b.Epoch, int64(2))
	eq(t, "holder", b.Holder, "ctl-b")
	_, err = s.RenewLeaderLease(ctx, name, "ctl-a", 1, t1, ttl)
	wantErr(t, err, catalog.ErrLeaseLost)
	wantErr(t, s.ReleaseLeaderLease(ctx, name, "ctl-a", 1), catalog.ErrLeaseLost)

	noErr(t, s.ReleaseLeaderLease(ctx, name, "ctl-b", 2))
	a = must(s.AcquireLeaderLease(ctx, name, "ctl-a", t1.Add(time.Second), ttl))(t)
	eq(t, "epoch after release", a.Epoch, int64(3))
	eq(t, "current", must(s.GetLeaderLease(ctx, name))(t).Holder, "ctl-a")

	// An expired holder re-acquiring is a new term: new epoch.
	a = must(s.AcquireLeaderLease(ctx, name, "ctl-a", t1.Add(time.Hour), ttl))(t)
	eq(t, "epoch after own expiry", a.Epoch, int64(4))

	other := must(s.AcquireLeaderLease(ctx, "retention", "ctl-b", t1, ttl))(t)
	eq(t, "independent lease", other.Epoch, int64(1))
}
