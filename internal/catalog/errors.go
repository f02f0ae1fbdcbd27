package catalog

import "errors"

// Sentinel errors. Implementations wrap them with context naming the object
// (e.g. `backup 1f3a…: catalog: not found`); test with errors.Is.
var (
	// ErrNotFound: no object with that ID, name or hash.
	ErrNotFound = errors.New("catalog: not found")
	// ErrConflict: a unique name or key is taken, or the object is still
	// referenced by another.
	ErrConflict = errors.New("catalog: conflict")
	// ErrInvalidState: the object's state does not allow the operation, e.g.
	// cancelling a finished job.
	ErrInvalidState = errors.New("catalog: invalid state")
	// ErrStaleEpoch: the attempt named by (job, attempt, epoch) is no longer
	// the job's current running attempt; its agent must abort it.
	ErrStaleEpoch = errors.New("catalog: stale epoch")
	// ErrLeaseExpired: the attempt is current but its lease ran out before
	// this renewal; it is (or is about to be) marked lost.
	ErrLeaseExpired = errors.New("catalog: lease expired")
	// ErrNoJob: ClaimJob found no queued job for the agent.
	ErrNoJob = errors.New("catalog: no job to claim")
	// ErrTokenUsed: the join token was already used.
	ErrTokenUsed = errors.New("catalog: join token already used")
	// ErrTokenExpired: the join token expired before use.
	ErrTokenExpired = errors.New("catalog: join token expired")
	// ErrLeaseHeld: another holder owns an unexpired leader lease.
	ErrLeaseHeld = errors.New("catalog: leader lease held by another holder")
	// ErrLeaseLost: the caller no longer holds the leader lease at the given
	// epoch (it expired or was taken over).
	ErrLeaseLost = errors.New("catalog: leader lease lost")
	// ErrAuditChain: an appended audit entry does not extend the chain (its
	// sequence or previous hash does not match the last entry).
	ErrAuditChain = errors.New("catalog: audit chain mismatch")
)
