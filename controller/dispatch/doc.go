// Package dispatch is the controller's side of the agent channel
// (AgentChannelService.Connect): it authenticates agents by their mTLS
// certificate, negotiates the protocol version, hands queued jobs to the
// agent that owns their source, renews leases on progress, records results,
// cancels and aborts attempts, and re-attaches attempts an agent still runs
// after it reconnects or the controller restarts.
//
// The catalog is the only authority: every lease decision uses the
// database clock and the catalog's (job, attempt, epoch) fencing, so a
// controller restart or a second controller replica loses nothing. The
// in-memory session state is a cache of what this controller has told its
// connected agents. See docs/ARCHITECTURE.md for the state machine.
package dispatch
