package api

import (
	"context"
	"errors"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Agents implements AgentService.
type Agents struct {
	cofferv1.UnimplementedAgentServiceServer
	d *Deps
}

// Agent statuses.
const (
	AgentOnline  = "online"
	AgentOffline = "offline"
	AgentRevoked = "revoked"
)

func (s *Agents) agentProto(a catalog.Agent) *cofferv1.Agent {
	status := AgentOffline
	switch {
	case a.Revoked():
		status = AgentRevoked
	case s.d.Dispatcher.Online(a.ID),
		!a.LastSeen.IsZero() && s.d.Now().Sub(a.LastSeen) < s.d.AgentOnlineWindow:
		status = AgentOnline
	}
	return &cofferv1.Agent{
		Id: a.ID, Name: a.Name, Hostname: a.Hostname, Status: status, Version: a.Version,
		Capabilities: nonNil(a.Capabilities), CertSerial: a.CertSerial, CertFingerprint: a.CertFingerprint,
		CertExpiresAt: ts(a.CertExpiresAt), LastSeen: ts(a.LastSeen), CreatedAt: ts(a.CreatedAt), RevokedAt: ts(a.RevokedAt),
	}
}

func (s *Agents) ListAgents(ctx context.Context, req *cofferv1.ListAgentsRequest) (*cofferv1.ListAgentsResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	want := req.GetStatus()
	if want == "" {
		list, total, err := s.d.Store.ListAgents(ctx, p)
		if err != nil {
			return nil, err
		}
		out := &cofferv1.ListAgentsResponse{Agents: make([]*cofferv1.Agent, 0, len(list))}
		for _, a := range list {
			out.Agents = append(out.Agents, s.agentProto(a))
		}
		out.Pagination = pagination(p, total)
		return out, nil
	}
	if _, err := oneOf("status", want, "", AgentOnline, AgentOffline, AgentRevoked); err != nil {
		return nil, err
	}
	// Status is computed, so every agent is listed, filtered, then paged.
	all, err := catalog.All(func(p catalog.Page) ([]catalog.Agent, int, error) { return s.d.Store.ListAgents(ctx, p) })
	if err != nil {
		return nil, err
	}
	var match []*cofferv1.Agent
	for _, a := range all {
		if pa := s.agentProto(a); pa.Status == want {
			match = append(match, pa)
		}
	}
	lo := min(p.Offset(), len(match)) // p is normalised by page
	out := &cofferv1.ListAgentsResponse{Agents: match[lo:min(lo+p.Limit, len(match))]}
	out.Pagination = pagination(p, len(match))
	return out, nil
}

func (s *Agents) byID(ctx context.Context, id string) (catalog.Agent, error) {
	return byID(ctx, "id", "agent", id, s.d.Store.GetAgent)
}

func (s *Agents) GetAgent(ctx context.Context, req *cofferv1.GetAgentRequest) (*cofferv1.GetAgentResponse, error) {
	a, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetAgentResponse{Agent: s.agentProto(a)}, nil
}

func (s *Agents) UpdateAgent(ctx context.Context, req *cofferv1.UpdateAgentRequest) (*cofferv1.UpdateAgentResponse, error) {
	a, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if req.Name != nil {
		if err := checkName("name", req.GetName()); err != nil {
			return nil, err
		}
		a, err = s.d.Store.RenameAgent(ctx, a.ID, req.GetName())
		if errors.Is(err, catalog.ErrConflict) {
			return nil, apierr.Invalid("name", "an agent named %q already exists", req.GetName())
		}
		if err != nil {
			return nil, err
		}
		if err := s.d.record(ctx, principal(ctx).Actor(), "agent.rename", "agent/"+a.ID, map[string]any{"name": a.Name}); err != nil {
			return nil, err
		}
	}
	return &cofferv1.UpdateAgentResponse{Agent: s.agentProto(a)}, nil
}

func (s *Agents) DeleteAgent(ctx context.Context, req *cofferv1.DeleteAgentRequest) (*cofferv1.DeleteAgentResponse, error) {
	a, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if !a.Revoked() {
		return nil, apierr.Precondition("id", "agent %q is not revoked: revoke it first (POST /api/agents/%s/revoke)", a.Name, a.ID)
	}
	_, n, err := s.d.Store.ListSources(ctx, catalog.SourceFilter{AgentID: a.ID, Page: catalog.Page{Limit: 1}})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, apierr.Precondition("id", "agent %q still owns %d sources: move or delete them first", a.Name, n)
	}
	if err := s.d.Store.DeleteAgent(ctx, a.ID); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "agent.delete", "agent/"+a.ID, map[string]any{"name": a.Name}); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteAgentResponse{Id: a.ID}, nil
}

// RevokeAgent cuts the agent off: its certificate is refused from now on,
// its open channel is closed and its unfinished jobs are cancelled.
func (s *Agents) RevokeAgent(ctx context.Context, req *cofferv1.RevokeAgentRequest) (*cofferv1.RevokeAgentResponse, error) {
	a, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	now, err := s.d.Store.Now(ctx)
	if err != nil {
		return nil, err
	}
	if a, err = s.d.Store.RevokeAgent(ctx, a.ID, now); err != nil {
		return nil, err
	}
	s.d.Dispatcher.AgentRevoked(a.ID)
	reason := "agent " + a.Name + " was revoked"
	if req.GetReason() != "" {
		reason += ": " + req.GetReason()
	}
	jobs, err := catalog.All(func(p catalog.Page) ([]catalog.Job, int, error) {
		return s.d.Store.ListJobs(ctx, catalog.JobFilter{AgentID: a.ID,
			States: []catalog.JobState{catalog.JobQueued, catalog.JobRunning}, Page: p})
	})
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if _, err := s.d.Store.RequestCancel(ctx, j.ID, now, reason); err != nil && !errors.Is(err, catalog.ErrInvalidState) {
			return nil, err
		}
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "agent.revoke", "agent/"+a.ID,
		map[string]any{"name": a.Name, "reason": req.GetReason(), "jobsCancelled": len(jobs)}); err != nil {
		return nil, err
	}
	return &cofferv1.RevokeAgentResponse{Agent: s.agentProto(a)}, nil
}

// Join token lifetimes.
const (
	defaultJoinTTL = time.Hour
	maxJoinTTL     = 7 * 24 * time.Hour
)
