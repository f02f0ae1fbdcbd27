package server

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the controller's configuration. See deploy/controller.yaml.
type Config struct {
	// DataDir holds the CA, the controller key and (for SQLite) the catalog.
	DataDir string        `yaml:"dataDir"`
	Catalog CatalogConfig `yaml:"catalog"`
	HTTP    HTTPConfig    `yaml:"http"`
	GRPC    GRPCConfig    `yaml:"grpc"`
	CA      CAConfig      `yaml:"ca"`
	Agents  AgentsConfig  `yaml:"agents"`
	Storage StorageConfig `yaml:"storage"`
	// Scheduler runs cron schedules; one replica leads at a time.
	Scheduler SchedulerConfig `yaml:"scheduler"`
	// SecretsKeyFile is the AES key sealing secrets in the catalog;
	// default DataDir/controller.key (replicas must share it).
	SecretsKeyFile string `yaml:"secretsKeyFile"`
	// AdminTokenFile, when set, receives the admin token minted on first
	// start (mode 0600); it is also printed once.
	AdminTokenFile string    `yaml:"adminTokenFile"`
	Log            LogConfig `yaml:"log"`
}

// CatalogConfig selects the catalog database.
type CatalogConfig struct {
	// DSN is a postgres:// URL, or a SQLite file path (default
	// DataDir/catalog.db).
	DSN string `yaml:"dsn"`
}

// HTTPConfig is the REST listener.
type HTTPConfig struct {
	Addr        string `yaml:"addr"`
	TLSCertFile string `yaml:"tlsCertFile"`
	TLSKeyFile  string `yaml:"tlsKeyFile"`
}

// GRPCConfig is the gRPC listener (user API, enrollment, agent channel),
// always TLS; client certificates are verified against the CA.
type GRPCConfig struct {
	Addr string `yaml:"addr"`
	// ServerNames are extra DNS names and IPs for the generated server
	// certificate (localhost, 127.0.0.1, ::1 and the host name are added).
	ServerNames []string `yaml:"serverNames"`
}

// CAConfig supplies a CA; by default one is generated in DataDir/ca.
type CAConfig struct {
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
}

// AgentsConfig tunes enrollment and the agent channel.
type AgentsConfig struct {
	CertTTL            time.Duration `yaml:"certTTL"`
	LeaseTTL           time.Duration `yaml:"leaseTTL"`
	StallTimeout       time.Duration `yaml:"stallTimeout"`
	HeartbeatInterval  time.Duration `yaml:"heartbeatInterval"`
	MaxJobsPerAgent    int           `yaml:"maxJobsPerAgent"`
	MinProtocolVersion int32         `yaml:"minProtocolVersion"`
}

// StorageConfig sets up a default storage location on first start.
type StorageConfig struct {
	Default DefaultLocation `yaml:"default"`
}

// DefaultLocation is created when the catalog has no storage location.
type DefaultLocation struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// KeyFile is the repository's key file; created (0600) when missing,
	// so `coffer repo` can open the repository without the controller.
	KeyFile string `yaml:"keyFile"`
}

// SchedulerConfig tunes the scheduler.
type SchedulerConfig struct {
	Disabled bool          `yaml:"disabled"`
	Tick     time.Duration `yaml:"tick"`
	LeaseTTL time.Duration `yaml:"leaseTTL"`
}

// LogConfig selects log level and format ("text" or "json").
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Defaults is the configuration with nothing set.
func Defaults() Config {
	return Config{
		DataDir: "/var/lib/coffer",
		HTTP:    HTTPConfig{Addr: "127.0.0.1:8080"},
		GRPC:    GRPCConfig{Addr: "127.0.0.1:9090"},
		Agents: AgentsConfig{
			CertTTL: 24 * time.Hour, LeaseTTL: 30 * time.Second, StallTimeout: 15 * time.Minute,
			HeartbeatInterval: 10 * time.Second, MaxJobsPerAgent: 2, MinProtocolVersion: 1,
		},
		Scheduler: SchedulerConfig{Tick: time.Second, LeaseTTL: 15 * time.Second},
		Log:       LogConfig{Level: "info", Format: "text"},
	}
}

// LoadFile applies a YAML file over c. Unknown keys are errors, so a typo
// never silently falls back to a default.
func (c *Config) LoadFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Environment variables read by ApplyEnv.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"COFFER_DATA_DIR", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"COFFER_CATALOG_DSN", func(c *Config, v string) error { c.Catalog.DSN = v; return nil }},
	{"COFFER_HTTP_ADDR", func(c *Config, v string) error { c.HTTP.Addr = v; return nil }},
	{"COFFER_GRPC_ADDR", func(c *Config, v string) error { c.GRPC.Addr = v; return nil }},
	{"COFFER_ADMIN_TOKEN_FILE", func(c *Config, v string) error { c.AdminTokenFile = v; return nil }},
	{"COFFER_LOG_LEVEL", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"COFFER_LEASE_TTL", func(c *Config, v string) error { return setDuration(&c.Agents.LeaseTTL, "COFFER_LEASE_TTL", v) }},
	{"COFFER_STALL_TIMEOUT", func(c *Config, v string) error {
		return setDuration(&c.Agents.StallTimeout, "COFFER_STALL_TIMEOUT", v)
	}},
	{"COFFER_HEARTBEAT_INTERVAL", func(c *Config, v string) error {
		return setDuration(&c.Agents.HeartbeatInterval, "COFFER_HEARTBEAT_INTERVAL", v)
	}},
	{"COFFER_MAX_JOBS_PER_AGENT", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("COFFER_MAX_JOBS_PER_AGENT=%q: not a number", v)
		}
		c.Agents.MaxJobsPerAgent = n
		return nil
	}},
}

func setDuration(d *time.Duration, name, v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", name, v, err)
	}
	*d = x
	return nil
}

// ApplyEnv applies COFFER_* environment variables over c.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	for _, e := range envVars {
		if v := getenv(e.name); v != "" {
			if err := e.set(c, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve fills paths derived from DataDir.
func (c *Config) resolve() {
	if c.SecretsKeyFile == "" {
		c.SecretsKeyFile = filepath.Join(c.DataDir, "controller.key")
	}
	if c.Catalog.DSN == "" {
		c.Catalog.DSN = filepath.Join(c.DataDir, "catalog.db")
	}
}
