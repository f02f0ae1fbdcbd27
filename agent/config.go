package agent

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/session"
	"github.com/cofferhq/coffer/agent/source/files"
	"github.com/cofferhq/coffer/agent/source/postgres"
)

// Config configures Run. Only ControllerAddr and DataDir are required
// (and JoinToken for the first start).
type Config struct {
	// ControllerAddr is the controller's gRPC address, HOST:PORT.
	ControllerAddr string
	// ServerName overrides the name expected in the controller's
	// certificate; default the host of ControllerAddr.
	ServerName string
	// DataDir keeps the agent's key, certificates and unacknowledged
	// results.
	DataDir string

	// JoinToken enrolls the agent when DataDir holds no identity (or its
	// certificate has expired). Ignored once enrolled.
	JoinToken string
	// CACertPEM or CAFingerprint verify the controller during enrollment;
	// both may be empty when the join token carries the CA pin (tokens
	// minted by `coffer agent token create` do).
	CACertPEM     []byte
	CAFingerprint string

	// Name is the requested agent name (default the host name); Hostname
	// is reported to the controller (default os.Hostname).
	Name, Hostname string
	// Version is the agent's release version, sent in the hello.
	Version string
	// Capabilities sent in the hello; default DefaultCapabilities.
	Capabilities []string

	// Sources maps source types to drivers; default files and postgres.
	Sources map[string]runner.SourceFactory
	// OpenStorage opens repository storage; default OpenStorage (the
	// internal/storage/all registry).
	OpenStorage runner.StorageOpener
	// KEK decodes repository key material; default runner.KeyFileKEK.
	KEK runner.KEKFunc

	// WALSocket is the Unix socket where the agent serves `coffer
	// wal-push` and `coffer wal-fetch` (archive_command, restore_command).
	// Default walsock.SocketPath(): COFFER_AGENT_SOCKET, else
	// /run/coffer/agent.sock; WALSocketOff serves none. When the default
	// path cannot be used (no permission, another agent there) the agent
	// logs a warning and runs without it (wal-push then writes the
	// repository directly); an explicit path must work.
	WALSocket string
	// WALSocketGroup, e.g. "postgres", is given access to the socket
	// (mode 0660) so PostgreSQL's archive_command can reach it.
	WALSocketGroup string
	// WALReportInterval is how often the archived WAL of every stream the
	// socket has served is reported to the controller (default 5 min);
	// pushes trigger a report after WALReportDebounce (default 10 s).
	WALReportInterval, WALReportDebounce time.Duration

	// Backoff is the reconnect schedule (also used for enrollment
	// retries while the controller is unreachable).
	Backoff session.Backoff

	// Now is the clock for certificate expiry and timestamps.
	Now func() time.Time
	// Logger receives the agent's logs; default slog.Default().
	Logger *slog.Logger
	// OnConnected, when set, is called after every welcome with the agent
	// ID (for `coffer dev` and tests).
	OnConnected func(agentID string)
}

// WALSocketOff as Config.WALSocket disables the WAL socket.
const WALSocketOff = "off"

// DefaultCapabilities is what this agent build can do.
var DefaultCapabilities = []string{
	"source:files", "source:postgres", "pitr:postgres",
	"storage:local", "storage:s3", "storage:azure", "storage:gcs", "storage:sftp",
}

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.ControllerAddr == "" {
		return cfg, errors.New("no controller address: give --controller HOST:PORT (or COFFER_CONTROLLER)")
	}
	if cfg.DataDir == "" {
		return cfg, errors.New("no data directory: give --data-dir (or COFFER_AGENT_DATA_DIR)")
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg, err
	}
	cfg.DataDir = abs
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Hostname
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.Capabilities == nil {
		cfg.Capabilities = DefaultCapabilities
	}
	if cfg.Sources == nil {
		cfg.Sources = map[string]runner.SourceFactory{files.Type: files.New, postgres.Type: postgres.New}
	}
	if cfg.OpenStorage == nil {
		cfg.OpenStorage = OpenStorage
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}
