package api

import (
	"context"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// TestStorageLocation has an agent try the location (write, list, read,
// delete a small object) and reports each step. A failed step is an
// answer with ok false, not an error.
func (s *Locations) TestStorageLocation(ctx context.Context, req *cofferv1.TestStorageLocationRequest) (*cofferv1.TestStorageLocationResponse, error) {
	l, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	agentID, err := s.d.agentOrOnly(ctx, req.GetAgentId())
	if err != nil {
		return nil, err
	}
	steps, err := s.d.Dispatcher.TestStorage(ctx, agentID, l.ID)
	if err != nil {
		return nil, err
	}
	ok := len(steps) > 0
	failed := ""
	for _, st := range steps {
		if !st.GetOk() {
			ok, failed = false, st.GetName()
		}
	}
	// The test wrote to the location on the caller's behalf: audit it.
	if err := s.d.record(ctx, principal(ctx).Actor(), "storage_location.test", "storage-location/"+l.ID,
		map[string]any{"agent": agentID, "ok": ok, "failedStep": failed}); err != nil {
		return nil, err
	}
	return &cofferv1.TestStorageLocationResponse{Ok: ok, AgentId: agentID, Steps: steps}, nil
}
