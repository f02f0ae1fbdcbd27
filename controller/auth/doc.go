// Package auth authenticates API callers and authorises each RPC.
//
// Users and automation present bearer API tokens ("Authorization: Bearer
// cft1_..."); the catalog stores only the SHA-256 of a token's random
// secret. Every RPC is listed in one permission table (permissions.go) with
// the permission it needs; roles grant permissions; a method missing from
// the table is refused (deny by default). Agents never use tokens: they are
// identified by their mTLS client certificate (AgentFromPeer).
package auth
