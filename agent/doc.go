// Package agent is the Coffer agent process: it enrolls with the
// controller once (or reuses the identity in its data directory), keeps one
// mTLS Connect stream to the controller (agent/session), runs the job
// attempts it is assigned (agent/runner with the source drivers in
// agent/source/...), and renews its client certificate before it expires.
//
// Run is the whole agent; `coffer agent` (agent/agentcmd) and `coffer dev`
// (in-process, with Config.CACertPEM and a join token handed over directly)
// both call it.
//
// Data directory layout (0700):
//
//	identity.json, agent.N.key, agent.N.crt, ca.N.crt   see agent/enroll
//	results/                                           unacknowledged job results
package agent
