package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cofferhq/coffer/controller/audit"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// ProtocolVersion is the channel protocol this controller speaks.
const ProtocolVersion = 1

// Config tunes the dispatcher; zero fields take the defaults.
type Config struct {
	// LeaseTTL is how long an attempt lives without a renewing report.
	LeaseTTL time.Duration
	// StallTimeout fails an attempt whose bytes have not moved for this
	// long although its agent still reports (a hung dump, a dead mount).
	StallTimeout time.Duration
	// HeartbeatInterval is how often both sides send heartbeats; a peer
	// silent for three intervals is gone.
	HeartbeatInterval time.Duration
	// SweepInterval is how often expired and stalled attempts are looked
	// for.
	SweepInterval time.Duration
	// PollInterval is how often a session looks for queued jobs without
	// being woken (jobs queued through another controller replica).
	PollInterval time.Duration
	// MaxJobsPerAgent bounds concurrent attempts on one agent.
	MaxJobsPerAgent int
	// MinProtocolVersion refuses older agents.
	MinProtocolVersion int32
	// ControllerVersion is reported in the welcome.
	ControllerVersion string
	// HelloTimeout bounds the wait for the agent's hello.
	HelloTimeout time.Duration
	// StorageTestTimeout bounds the wait for an agent's storage test.
	StorageTestTimeout time.Duration
	// Metrics receives the dispatcher's gauges (coffer_wal_archive_gaps);
	// nil keeps them unregistered.
	Metrics prometheus.Registerer
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.LeaseTTL, 30*time.Second)
	def(&c.StallTimeout, 15*time.Minute)
	def(&c.HeartbeatInterval, 10*time.Second)
	def(&c.SweepInterval, min(time.Second, c.LeaseTTL/4))
	def(&c.PollInterval, 2*time.Second)
	def(&c.HelloTimeout, 30*time.Second)
	def(&c.StorageTestTimeout, 60*time.Second)
	if c.MaxJobsPerAgent <= 0 {
		c.MaxJobsPerAgent = 2
	}
	if c.MinProtocolVersion <= 0 {
		c.MinProtocolVersion = 1
	}
}

// Store is what the dispatcher needs from the catalog.
type Store interface {
	catalog.Clock
	catalog.JobStore
	catalog.AgentStore
	catalog.BackupStore
	catalog.RecoveryStore
	catalog.VerificationStore
	catalog.SourceStore
	catalog.StorageLocationStore
	catalog.WALArchiveStore
}

// Dispatcher serves AgentChannelService and implements api.Dispatcher.
type Dispatcher struct {
	cofferv1.UnimplementedAgentChannelServiceServer

	cfg    Config
	store  Store
	sealer *sealer.Sealer
	audit  *audit.Log
	log    *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session     // by agent ID
	tests    map[string]*storageTest // by request ID

	walGaps *prometheus.GaugeVec
}

// New returns a Dispatcher.
func New(cfg Config, store Store, s *sealer.Sealer, a *audit.Log, log *slog.Logger) *Dispatcher {
	cfg.setDefaults()
	return &Dispatcher{cfg: cfg, store: store, sealer: s, audit: a, log: log, sessions: map[string]*session{}, tests: map[string]*storageTest{},
		walGaps: newWALGapsGauge(cfg.Metrics)}
}

// Config returns the effective configuration.
func (d *Dispatcher) Config() Config { return d.cfg }

func (d *Dispatcher) session(agentID string) *session {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sessions[agentID]
}

// JobQueued wakes the agent's session to claim work.
func (d *Dispatcher) JobQueued(agentID string) {
	if s := d.session(agentID); s != nil {
		s.wake()
	}
}

// CancelRequested makes every session check its attempts for cancel
// requests now.
func (d *Dispatcher) CancelRequested(string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.sessions {
		s.wake()
	}
}

// AgentRevoked closes the agent's channel at once.
func (d *Dispatcher) AgentRevoked(agentID string) {
	if s := d.session(agentID); s != nil {
		s.revoke()
	}
}

// Online reports whether the agent has a channel to this controller.
func (d *Dispatcher) Online(agentID string) bool { return d.session(agentID) != nil }

// register makes s the agent's session, replacing (and closing) an older
// one: the newest connection of an agent wins.
func (d *Dispatcher) register(s *session) {
	d.mu.Lock()
	old := d.sessions[s.agentID]
	d.sessions[s.agentID] = s
	d.mu.Unlock()
	if old != nil {
		old.replace()
	}
}

func (d *Dispatcher) unregister(s *session) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sessions[s.agentID] == s {
		delete(d.sessions, s.agentID)
	}
}

// record audits an agent's effect on a job; a failure is logged, not
// returned, because the catalog change it describes is already committed.
func (d *Dispatcher) record(ctx context.Context, actor, action, object string, details map[string]any) {
	if err := d.audit.Record(ctx, audit.Event{Actor: actor, Action: action, Object: object, Details: details}); err != nil {
		d.log.Error("audit failed", "action", action, "object", object, "err", err)
	}
}
