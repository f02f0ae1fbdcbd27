package api

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/protoconv"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Sources implements SourceService.
type Sources struct {
	cofferv1.UnimplementedSourceServiceServer
	d *Deps
}

var sourceTypes = []string{catalog.SourceFiles, catalog.SourcePostgres, catalog.SourceMySQL, catalog.SourceMongoDB}

func (s *Sources) ListSources(ctx context.Context, req *cofferv1.ListSourcesRequest) (*cofferv1.ListSourcesResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	f := catalog.SourceFilter{AgentID: req.GetAgentId(), Page: p}
	if req.GetType() != "" {
		if f.Type, err = oneOf("type", req.GetType(), "", sourceTypes...); err != nil {
			return nil, err
		}
	}
	list, total, err := s.d.Store.ListSources(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListSourcesResponse{Sources: make([]*cofferv1.Source, 0, len(list)), Pagination: pagination(p, total)}
	for _, src := range list {
		out.Sources = append(out.Sources, sourceProto(src))
	}
	return out, nil
}

func (s *Sources) GetSource(ctx context.Context, req *cofferv1.GetSourceRequest) (*cofferv1.GetSourceResponse, error) {
	src, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetSourceResponse{Source: sourceProto(src)}, nil
}

// byID finds a source named in the URL by ID or name.
func (s *Sources) byID(ctx context.Context, id string) (catalog.Source, error) {
	if id == "" {
		return catalog.Source{}, apierr.Invalid("id", "is required")
	}
	src, err := s.d.Store.GetSource(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		src, err = s.d.Store.GetSourceByName(ctx, id)
	}
	if errors.Is(err, catalog.ErrNotFound) {
		return src, apierr.NotFound("id", "source", id)
	}
	return src, err
}

func (s *Sources) CreateSource(ctx context.Context, req *cofferv1.CreateSourceRequest) (*cofferv1.CreateSourceResponse, error) {
	if err := checkName("name", req.GetName()); err != nil {
		return nil, err
	}
	typ, err := oneOf("type", req.GetType(), "", sourceTypes...)
	if err != nil {
		return nil, err
	}
	cfg := protoconv.Map(req.GetConfig())
	if err := checkSourceConfig(typ, cfg); err != nil {
		return nil, err
	}
	agentID, err := s.d.agentOrOnly(ctx, req.GetAgentId())
	if err != nil {
		return nil, err
	}
	if err := s.d.checkLocation(ctx, "storageLocationId", req.GetStorageLocationId()); err != nil {
		return nil, err
	}
	secrets := withoutEmpty(req.GetSecrets())
	sealed, err := s.d.Sealer.Seal(sealer.SourceSecrets, secrets)
	if err != nil {
		return nil, err
	}
	src, created, err := s.d.Store.CreateSource(ctx, catalog.Source{
		Name: req.GetName(), Type: typ, AgentID: agentID, Config: cfg, Secrets: sealed,
		SecretKeys: slices.Sorted(maps.Keys(secrets)), StorageLocationID: req.GetStorageLocationId(),
		IdempotencyKey: idempotencyKey(ctx, req.GetIdempotencyKey()),
	})
	if errors.Is(err, catalog.ErrConflict) {
		return nil, apierr.Invalid("name", "a source named %q already exists", req.GetName())
	}
	if err != nil {
		return nil, err
	}
	if created {
		if err := s.d.record(ctx, principal(ctx).Actor(), "source.create", "source/"+src.ID,
			map[string]any{"name": src.Name, "type": src.Type, "agent": src.AgentID, "secretKeys": src.SecretKeys}); err != nil {
			return nil, err
		}
	}
	return &cofferv1.CreateSourceResponse{Source: sourceProto(src)}, nil
}

// agentOrOnly resolves an agentId field: the named live agent, or the only
// enrolled one when none is named.
func (d *Deps) agentOrOnly(ctx context.Context, id string) (string, error) {
	if id != "" {
		a, err := d.Store.GetAgent(ctx, id)
		if errors.Is(err, catalog.ErrNotFound) {
			return "", apierr.Invalid("agentId", "unknown agent %q", id)
		}
		if err != nil {
			return "", err
		}
		if a.Revoked() {
			return "", apierr.Invalid("agentId", "agent %q is revoked", a.Name)
		}
		return a.ID, nil
	}
	agents, err := catalog.All(func(p catalog.Page) ([]catalog.Agent, int, error) {
		return d.Store.ListAgents(ctx, p)
	})
	if err != nil {
		return "", err
	}
	var live []catalog.Agent
	for _, a := range agents {
		if !a.Revoked() {
			live = append(live, a)
		}
	}
	if len(live) != 1 {
		return "", apierr.Invalid("agentId", "is required: %d agents are enrolled, so the agent to use is ambiguous", len(live))
	}
	return live[0].ID, nil
}

// withoutEmpty drops empty values (an empty secret means "not set").
func withoutEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
