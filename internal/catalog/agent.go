package catalog

import "time"

// Agent is an enrolled agent.
type Agent struct {
	ID              string
	Name            string
	Hostname        string
	Version         string
	Capabilities    []string
	CertSerial      string
	CertFingerprint string
	CertExpiresAt   time.Time
	LastSeen        time.Time
	CreatedAt       time.Time
	// RevokedAt set means the agent is cut off.
	RevokedAt time.Time
}

// Revoked reports whether the agent was revoked.
func (a Agent) Revoked() bool { return !a.RevokedAt.IsZero() }

// AgentCert is the identity of an agent's current client certificate.
type AgentCert struct {
	Serial      string
	Fingerprint string
	ExpiresAt   time.Time
}

// JoinToken is a single-use enrollment token, stored as a hash.
type JoinToken struct {
	ID        string
	Hash      []byte
	AgentName string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Roles of API tokens.
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
	RoleRestorer = "restorer"
	RoleAuditor  = "auditor"
)

// APIToken is a bearer token for the API, stored as a hash.
type APIToken struct {
	ID   string
	Name string
	Role string
	// Scopes limit the token to these sources; empty means all.
	Scopes     []string
	Hash       []byte
	Prefix     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// APITokenFilter selects API tokens.
type APITokenFilter struct {
	IncludeRevoked bool
	Page           Page
}
