package api

import (
	"context"
	"errors"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/catalog"
)

// findSource resolves a source named by name or ID in request field field.
func (d *Deps) findSource(ctx context.Context, field, ref string) (catalog.Source, error) {
	if ref == "" {
		return catalog.Source{}, apierr.Invalid(field, "names no source (empty)")
	}
	s, err := d.Store.GetSourceByName(ctx, ref)
	if errors.Is(err, catalog.ErrNotFound) {
		s, err = d.Store.GetSource(ctx, ref)
	}
	if errors.Is(err, catalog.ErrNotFound) {
		return s, apierr.Invalid(field, "unknown source %q: register it with POST /api/sources", ref)
	}
	return s, err
}

// location resolves the storage location for a job: the explicit one, else
// the source's, else the default.
func (d *Deps) location(ctx context.Context, field, explicit string, src catalog.Source) (catalog.StorageLocation, error) {
	id := explicit
	if id == "" {
		id = src.StorageLocationID
	}
	if id != "" {
		l, err := d.Store.GetStorageLocation(ctx, id)
		if errors.Is(err, catalog.ErrNotFound) {
			return l, apierr.Invalid(field, "unknown storage location %q", id)
		}
		return l, err
	}
	l, err := d.Store.DefaultStorageLocation(ctx)
	if errors.Is(err, catalog.ErrNotFound) {
		return l, apierr.Precondition(field, "no storage location given and none is the default: create one with POST /api/storage-locations")
	}
	return l, err
}

// checkLocation checks that an explicitly named location exists.
func (d *Deps) checkLocation(ctx context.Context, field, id string) error {
	if id == "" {
		return nil
	}
	_, err := d.Store.GetStorageLocation(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return apierr.Invalid(field, "unknown storage location %q", id)
	}
	return err
}

// byID loads the object of kind named by id in request field field with
// get, turning an empty id and catalog.ErrNotFound into API errors.
func byID[T any](ctx context.Context, field, kind, id string, get func(context.Context, string) (T, error)) (T, error) {
	if id == "" {
		var zero T
		return zero, apierr.Invalid(field, "is required")
	}
	v, err := get(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return v, apierr.NotFound(field, kind, id)
	}
	return v, err
}

// backupByID loads a backup named in the URL.
func (d *Deps) backupByID(ctx context.Context, field, id string) (catalog.Backup, error) {
	return byID(ctx, field, "backup", id, d.Store.GetBackup)
}

// liveJob returns the job of a subject that has not finished, for its
// progress; nil when there is none to show.
func (d *Deps) liveJob(ctx context.Context, jobID string, terminal bool) (*catalog.Job, error) {
	if jobID == "" {
		return nil, nil
	}
	j, err := d.Store.GetJob(ctx, jobID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if terminal && j.State.Terminal() && j.Progress.Sequence == 0 {
		return nil, nil
	}
	return &j, nil
}
