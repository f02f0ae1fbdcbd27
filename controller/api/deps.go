package api

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/cofferhq/coffer/controller/audit"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/pki"
)

// Dispatcher is told about changes that concern connected agents, so they
// take effect at once instead of at the next poll.
type Dispatcher interface {
	// JobQueued wakes the agent's session to claim work.
	JobQueued(agentID string)
	// CancelRequested asks the session running jobID to cancel it now.
	CancelRequested(jobID string)
	// AgentRevoked closes the agent's open channel.
	AgentRevoked(agentID string)
	// Online reports whether the agent has an open channel to this
	// controller.
	Online(agentID string) bool
	// TestStorage has the agent write, list, read and delete a small
	// object in the location and returns each step's outcome.
	TestStorage(ctx context.Context, agentID, locationID string) ([]*cofferv1.StorageTestStep, error)
}

// Repositories touches repositories for storage locations and deletions.
type Repositories interface {
	// Prepare checks that a location's repository can be opened with the
	// key in creds (creds["repositoryKey"]), or initialises a new
	// repository and adds the generated key to creds. It returns creds.
	Prepare(ctx context.Context, url string, options, creds map[string]string) (map[string]string, error)
	// RemoveSnapshot deletes a snapshot's manifest from a location's
	// repository; its unreferenced data is left to garbage collection.
	RemoveSnapshot(ctx context.Context, loc catalog.StorageLocation, snapshotID string) error
}

// Deps are the services' collaborators.
type Deps struct {
	Store      catalog.Store
	Sealer     *sealer.Sealer
	Audit      *audit.Log
	Log        *slog.Logger
	Dispatcher Dispatcher
	Repos      Repositories
	CA         *pki.CA
	// Now is the local clock for token expiry and online status (leases
	// use the catalog clock).
	Now func() time.Time
	// AgentOnlineWindow is how recently an agent must have been seen to
	// count as online on another controller replica.
	AgentOnlineWindow time.Duration
}

// Register registers every user-facing service on s.
func Register(s grpc.ServiceRegistrar, d *Deps) {
	cofferv1.RegisterBackupServiceServer(s, &Backups{d: d})
	cofferv1.RegisterRecoveryServiceServer(s, &Recovery{d: d})
	cofferv1.RegisterBackupScheduleServiceServer(s, &Schedules{d: d})
	cofferv1.RegisterSourceServiceServer(s, &Sources{d: d})
	cofferv1.RegisterStorageLocationServiceServer(s, &Locations{d: d})
	cofferv1.RegisterAgentServiceServer(s, &Agents{d: d})
	cofferv1.RegisterApiTokenServiceServer(s, &Tokens{d: d})
}

// record writes an audit entry. A failure to audit fails the call: a state
// change that cannot be audited must be visible to the caller.
func (d *Deps) record(ctx context.Context, actor, action, object string, details map[string]any) error {
	return d.Audit.Record(ctx, audit.Event{Actor: actor, Action: action, Object: object, Details: details})
}
