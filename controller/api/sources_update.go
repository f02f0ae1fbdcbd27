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

func (s *Sources) UpdateSource(ctx context.Context, req *cofferv1.UpdateSourceRequest) (*cofferv1.UpdateSourceResponse, error) {
	src, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if req.Name != nil {
		if err := checkName("name", req.GetName()); err != nil {
			return nil, err
		}
		src.Name = req.GetName()
	}
	if req.AgentId != nil {
		if src.AgentID, err = s.d.agentOrOnly(ctx, req.GetAgentId()); err != nil {
			return nil, err
		}
	}
	if req.GetConfig() != nil {
		cfg := protoconv.Map(req.GetConfig())
		if err := checkSourceConfig(src.Type, cfg); err != nil {
			return nil, err
		}
		src.Config = cfg
	}
	if req.StorageLocationId != nil {
		if err := s.d.checkLocation(ctx, "storageLocationId", req.GetStorageLocationId()); err != nil {
			return nil, err
		}
		src.StorageLocationID = req.GetStorageLocationId()
	}
	if len(req.GetSecrets()) > 0 {
		secrets, err := s.d.Sealer.Open(sealer.SourceSecrets, src.Secrets)
		if err != nil {
			return nil, err
		}
		for k, v := range req.GetSecrets() {
			if v == "" {
				delete(secrets, k)
			} else {
				secrets[k] = v
			}
		}
		if src.Secrets, err = s.d.Sealer.Seal(sealer.SourceSecrets, secrets); err != nil {
			return nil, err
		}
		src.SecretKeys = slices.Sorted(maps.Keys(secrets))
	}
	src, err = s.d.Store.UpdateSource(ctx, src)
	if errors.Is(err, catalog.ErrConflict) {
		return nil, apierr.Invalid("name", "a source named %q already exists", src.Name)
	}
	if err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "source.update", "source/"+src.ID,
		map[string]any{"name": src.Name, "agent": src.AgentID, "secretKeys": src.SecretKeys}); err != nil {
		return nil, err
	}
	return &cofferv1.UpdateSourceResponse{Source: sourceProto(src)}, nil
}

func (s *Sources) DeleteSource(ctx context.Context, req *cofferv1.DeleteSourceRequest) (*cofferv1.DeleteSourceResponse, error) {
	src, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	schedules, err := catalog.All(func(p catalog.Page) ([]catalog.BackupSchedule, int, error) {
		return s.d.Store.ListSchedules(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	for _, sc := range schedules {
		if slices.Contains(sc.Sources, src.Name) || slices.Contains(sc.Sources, src.ID) {
			return nil, apierr.Precondition("id", "source %q is used by schedule %q: remove it there first", src.Name, sc.Name)
		}
	}
	if err := s.d.Store.DeleteSource(ctx, src.ID); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "source.delete", "source/"+src.ID, map[string]any{"name": src.Name}); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteSourceResponse{Id: src.ID}, nil
}
