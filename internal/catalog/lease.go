package catalog

import "time"

// LeaderLease is a named lease with a fencing epoch: the epoch increments
// whenever the lease changes hands (or is re-acquired after expiring), so
// work done under an old epoch can be refused.
type LeaderLease struct {
	Name      string
	Holder    string
	Epoch     int64
	ExpiresAt time.Time
}
