package api

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/repos"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/storage/all"
)

func (s *Locations) UpdateStorageLocation(ctx context.Context, req *cofferv1.UpdateStorageLocationRequest) (*cofferv1.UpdateStorageLocationResponse, error) {
	l, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if req.Name != nil {
		if err := checkName("name", req.GetName()); err != nil {
			return nil, err
		}
		l.Name = req.GetName()
	}
	recheck := false
	if req.Url != nil && req.GetUrl() != l.URL {
		if err := checkStorageURL(req.GetUrl()); err != nil {
			return nil, err
		}
		l.URL, recheck = req.GetUrl(), true
	}
	if len(req.GetOptions()) > 0 {
		if _, err := all.ParseLimits(req.GetOptions()); err != nil {
			return nil, apierr.Invalid("options", "%v", err)
		}
		l.Options, recheck = req.GetOptions(), true
	}
	if req.IsDefault != nil {
		l.IsDefault = req.GetIsDefault()
	}
	if len(req.GetCredentials()) > 0 || recheck {
		creds, err := s.d.Sealer.Open(sealer.StorageCredentials, l.Credentials)
		if err != nil {
			return nil, err
		}
		for k, v := range req.GetCredentials() {
			if v == "" {
				delete(creds, k)
			} else {
				creds[k] = v
			}
		}
		if _, ok := creds[repos.KeyCredential]; !ok {
			return nil, apierr.Invalid("credentials."+repos.KeyCredential, "cannot be removed: without it the repository cannot be opened")
		}
		// The repository must still open with what is now configured.
		if creds, err = s.d.Repos.Prepare(ctx, l.URL, l.Options, creds); err != nil {
			return nil, err
		}
		if l.Credentials, err = s.d.Sealer.Seal(sealer.StorageCredentials, creds); err != nil {
			return nil, err
		}
		l.CredentialKeys = slices.Sorted(maps.Keys(creds))
	}
	l, err = s.d.Store.UpdateStorageLocation(ctx, l)
	if errors.Is(err, catalog.ErrConflict) {
		return nil, apierr.Invalid("name", "a storage location named %q already exists", l.Name)
	}
	if err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "storage_location.update", "storage-location/"+l.ID,
		map[string]any{"name": l.Name, "url": all.Redact(l.URL), "credentialKeys": l.CredentialKeys}); err != nil {
		return nil, err
	}
	return &cofferv1.UpdateStorageLocationResponse{StorageLocation: locationProto(l)}, nil
}

func (s *Locations) DeleteStorageLocation(ctx context.Context, req *cofferv1.DeleteStorageLocationRequest) (*cofferv1.DeleteStorageLocationResponse, error) {
	l, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	sources, err := catalog.All(func(p catalog.Page) ([]catalog.Source, int, error) {
		return s.d.Store.ListSources(ctx, catalog.SourceFilter{Page: p})
	})
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		if src.StorageLocationID == l.ID {
			return nil, apierr.Precondition("id", "storage location %q is used by source %q", l.Name, src.Name)
		}
	}
	schedules, err := catalog.All(func(p catalog.Page) ([]catalog.BackupSchedule, int, error) {
		return s.d.Store.ListSchedules(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	for _, sc := range schedules {
		if sc.StorageLocationID == l.ID {
			return nil, apierr.Precondition("id", "storage location %q is used by schedule %q", l.Name, sc.Name)
		}
	}
	if err := s.d.Store.DeleteStorageLocation(ctx, l.ID); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "storage_location.delete", "storage-location/"+l.ID, map[string]any{"name": l.Name}); err != nil {
		return nil, err
	}
	return &cofferv1.DeleteStorageLocationResponse{Id: l.ID}, nil
}
