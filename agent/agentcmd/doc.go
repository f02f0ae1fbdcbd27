// Package agentcmd is `coffer agent`: it runs the agent process (package
// agent) with settings from flags and environment variables (flags win).
package agentcmd
