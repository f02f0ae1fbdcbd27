// Package session keeps the agent's one Connect stream to the controller:
// it sends the hello (version, capabilities, running attempts), waits for
// the welcome, exchanges heartbeats, hands controller messages to a Handler
// (the job runner), resends unacknowledged results after every (re)connect
// and periodically, and reconnects with exponential backoff and jitter when
// the stream ends or the controller falls silent for three heartbeat
// intervals.
//
// Refusals that retrying cannot fix (a revoked agent, an agent too old for
// the controller, an unknown certificate) end Run with a RefusedError.
package session
