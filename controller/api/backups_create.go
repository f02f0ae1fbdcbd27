package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/protoconv"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// BackupRequest is a validated request for backups of some sources, from
// the API or a schedule.
type BackupRequest struct {
	Type              string
	Sources           []catalog.Source
	IncludeFiles      bool
	Compression       bool
	ScheduledFor      time.Time
	StorageLocationID string
	ScheduleID        string
	// IdempotencyKey, when set, is extended per source.
	IdempotencyKey string
	Actor          string
}

func (s *Backups) CreateBackup(ctx context.Context, req *cofferv1.CreateBackupRequest) (*cofferv1.CreateBackupResponse, error) {
	typ, err := oneOf("type", req.GetType(), catalog.BackupFull, backupTypes...)
	if err != nil {
		return nil, err
	}
	if req.Encryption != nil && !req.GetEncryption() {
		return nil, apierr.Invalid("encryption", "cannot be false: every repository object is encrypted")
	}
	if len(req.GetDatabases()) == 0 {
		return nil, apierr.Invalid("databases", "name at least one registered source")
	}
	br := BackupRequest{
		Type:              typ,
		IncludeFiles:      req.GetIncludeFiles(),
		Compression:       req.Compression == nil || req.GetCompression(),
		ScheduledFor:      protoconv.Time(req.GetScheduledFor()),
		StorageLocationID: req.GetStorageLocationId(),
		IdempotencyKey:    idempotencyKey(ctx, req.GetIdempotencyKey()),
		Actor:             principal(ctx).Actor(),
	}
	seen := map[string]bool{}
	for i, ref := range req.GetDatabases() {
		src, err := s.d.findSource(ctx, fmt.Sprintf("databases[%d]", i), ref)
		if err != nil {
			return nil, err
		}
		if seen[src.ID] {
			return nil, apierr.Invalid(fmt.Sprintf("databases[%d]", i), "source %q is named twice", ref)
		}
		seen[src.ID] = true
		if err := inScope(ctx, src); err != nil {
			return nil, err
		}
		br.Sources = append(br.Sources, src)
	}
	backups, err := s.d.CreateBackups(ctx, br)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.CreateBackupResponse{}
	for _, b := range backups {
		out.Backups = append(out.Backups, backupProto(b, nil))
	}
	return out, nil
}

// CreateBackups queues one backup per source, in order. The scheduler
// uses it too.
func (d *Deps) CreateBackups(ctx context.Context, br BackupRequest) ([]catalog.Backup, error) {
	var out []catalog.Backup
	for i, src := range br.Sources {
		field := fmt.Sprintf("databases[%d]", i)
		loc, err := d.location(ctx, "storageLocationId", br.StorageLocationID, src)
		if err != nil {
			return nil, err
		}
		agent, err := d.Store.GetAgent(ctx, src.AgentID)
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, apierr.Precondition(field, "source %q belongs to agent %s, which no longer exists", src.Name, src.AgentID)
		}
		if err != nil {
			return nil, err
		}
		if agent.Revoked() {
			return nil, apierr.Precondition(field, "source %q belongs to agent %q, which is revoked", src.Name, agent.Name)
		}
		parent, err := d.parentFor(ctx, src, br.Type)
		if err != nil {
			return nil, err
		}
		key := ""
		if br.IdempotencyKey != "" {
			key = br.IdempotencyKey + "/" + src.ID
		}
		b, created, err := d.Store.CreateBackup(ctx, catalog.Backup{
			SourceID: src.ID, SourceName: src.Name, SourceType: src.Type, Type: br.Type, AgentID: src.AgentID,
			StorageLocationID: loc.ID, ParentBackupID: parent, ScheduleID: br.ScheduleID,
			Compression: br.Compression, Encryption: true, IncludeFiles: br.IncludeFiles,
			ScheduledFor: br.ScheduledFor, IdempotencyKey: key,
		})
		if err != nil {
			return nil, err
		}
		if created {
			d.Dispatcher.JobQueued(b.AgentID)
			details := map[string]any{"source": src.Name, "type": b.Type}
			if br.ScheduleID != "" {
				details["schedule"] = br.ScheduleID
			}
			if err := d.record(ctx, br.Actor, "backup.create", "backup/"+b.ID, details); err != nil {
				return nil, err
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// parentFor picks the backup an incremental (newest completed backup) or
// differential (newest completed full) is taken against. With none the
// backup reads everything, like a full one.
func (d *Deps) parentFor(ctx context.Context, src catalog.Source, typ string) (string, error) {
	if typ == catalog.BackupFull {
		return "", nil
	}
	f := catalog.BackupFilter{Source: src.ID, Status: catalog.BackupCompleted, Page: catalog.Page{Page: 1, Limit: 1}}
	if typ == catalog.BackupDifferential {
		f.Type = catalog.BackupFull
	}
	list, _, err := d.Store.ListBackups(ctx, f)
	if err != nil || len(list) == 0 {
		return "", err
	}
	return list[0].ID, nil
}
