package session

import (
	"math/rand/v2"
	"time"
)

// Backoff is the reconnect schedule: the wait doubles from Initial up to
// Max; each wait is drawn from [d/2, d) ("equal jitter") so a fleet of
// agents does not reconnect in lockstep after a controller restart.
type Backoff struct {
	Initial, Max time.Duration
	// StableAfter is how long a stream must have lived for the next
	// reconnect to start again from Initial.
	StableAfter time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = time.Second
	}
	if b.Max <= 0 {
		b.Max = time.Minute
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.StableAfter <= 0 {
		b.StableAfter = 30 * time.Second
	}
	return b
}

type backoffState struct {
	cfg  Backoff
	next time.Duration
}

func newBackoffState(b Backoff) *backoffState {
	b = b.withDefaults()
	return &backoffState{cfg: b, next: b.Initial}
}

func (s *backoffState) reset() { s.next = s.cfg.Initial }

// wait returns the next delay and grows the one after.
func (s *backoffState) wait() time.Duration {
	d := s.next
	s.next = min(2*s.next, s.cfg.Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sequence returns successive reconnect delays of the schedule, for
// callers with their own retry loop (enrollment, renewal).
func (b Backoff) Sequence() func() time.Duration {
	s := newBackoffState(b)
	return s.wait
}
