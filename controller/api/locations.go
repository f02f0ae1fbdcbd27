package api

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/storage/all"
)

// Locations implements StorageLocationService.
type Locations struct {
	cofferv1.UnimplementedStorageLocationServiceServer
	d *Deps
}

func (s *Locations) ListStorageLocations(ctx context.Context, req *cofferv1.ListStorageLocationsRequest) (*cofferv1.ListStorageLocationsResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	list, total, err := s.d.Store.ListStorageLocations(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListStorageLocationsResponse{StorageLocations: make([]*cofferv1.StorageLocation, 0, len(list)), Pagination: pagination(p, total)}
	for _, l := range list {
		out.StorageLocations = append(out.StorageLocations, locationProto(l))
	}
	return out, nil
}

func (s *Locations) GetStorageLocation(ctx context.Context, req *cofferv1.GetStorageLocationRequest) (*cofferv1.GetStorageLocationResponse, error) {
	l, err := s.byID(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetStorageLocationResponse{StorageLocation: locationProto(l)}, nil
}

func (s *Locations) byID(ctx context.Context, id string) (catalog.StorageLocation, error) {
	return byID(ctx, "id", "storage location", id, s.d.Store.GetStorageLocation)
}

func (s *Locations) CreateStorageLocation(ctx context.Context, req *cofferv1.CreateStorageLocationRequest) (*cofferv1.CreateStorageLocationResponse, error) {
	if err := checkName("name", req.GetName()); err != nil {
		return nil, err
	}
	if err := checkStorageURL(req.GetUrl()); err != nil {
		return nil, err
	}
	if _, err := all.ParseLimits(req.GetOptions()); err != nil {
		return nil, apierr.Invalid("options", "%v", err)
	}
	key := idempotencyKey(ctx, req.GetIdempotencyKey())
	creds, err := s.d.Repos.Prepare(ctx, req.GetUrl(), req.GetOptions(), withoutEmpty(req.GetCredentials()))
	if err != nil {
		return nil, err
	}
	l, _, err := s.d.CreateLocation(ctx, catalog.StorageLocation{
		Name: req.GetName(), URL: req.GetUrl(), Options: req.GetOptions(), IsDefault: req.GetIsDefault(), IdempotencyKey: key,
	}, creds, principal(ctx).Actor())
	if err != nil {
		return nil, err
	}
	return &cofferv1.CreateStorageLocationResponse{StorageLocation: locationProto(l)}, nil
}

// CreateLocation seals creds into l and stores it (also used to set up the
// default location at start).
func (d *Deps) CreateLocation(ctx context.Context, l catalog.StorageLocation, creds map[string]string, actor string) (catalog.StorageLocation, bool, error) {
	sealed, err := d.Sealer.Seal(sealer.StorageCredentials, creds)
	if err != nil {
		return l, false, err
	}
	l.Credentials, l.CredentialKeys = sealed, slices.Sorted(maps.Keys(creds))
	l, created, err := d.Store.CreateStorageLocation(ctx, l)
	if errors.Is(err, catalog.ErrConflict) {
		return l, false, apierr.Invalid("name", "a storage location named %q already exists", l.Name)
	}
	if err != nil {
		return l, false, err
	}
	if created {
		err = d.record(ctx, actor, "storage_location.create", "storage-location/"+l.ID,
			map[string]any{"name": l.Name, "url": all.Redact(l.URL), "credentialKeys": l.CredentialKeys})
	}
	return l, created, err
}

// checkStorageURL refuses URLs of unknown schemes and URLs with a password
// in them (credentials go in the write-only credentials).
func checkStorageURL(raw string) error {
	if raw == "" {
		return apierr.Invalid("url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(raw, "://") {
		return apierr.Invalid("url", "must be a URL such as file:///var/lib/coffer/repo or s3://bucket/prefix")
	}
	if !slices.Contains(all.Schemes(), u.Scheme) {
		return apierr.Invalid("url", "unknown scheme %q: want one of %v", u.Scheme, all.Schemes())
	}
	if _, hasPass := u.User.Password(); hasPass {
		return apierr.Invalid("url", "must not contain a password: give it in credentials")
	}
	return nil
}
