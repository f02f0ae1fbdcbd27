// Package walsock is the agent's local WAL socket: a small gRPC service
// (coffer.v1.WalSocketService) on a Unix socket through which `coffer
// wal-push` and `coffer wal-fetch`, run by PostgreSQL as archive_command
// and restore_command, hand WAL files to the long-running agent.
//
// The agent keeps the repositories it has opened (no key unwrapping per
// segment, which is most of a direct push's cost) and writes through the
// same code as the direct path: the same file pushed twice is accepted, a
// different file under an archived name is refused. Every request carries
// its repository location and key material, so a client can always fall
// back to writing the repository itself when the agent is down (Client
// reports that case as ErrAgentDown).
//
// The agent also keeps, per (repository, stream) it has served, the
// archive's state: Reporter lists wal/<stream>/ after pushes (debounced)
// and periodically, and sends a WalArchiveReport per stream to the
// controller — per timeline the first and last segment, the count, the
// gaps and the timeline's parent from its history file.
package walsock
