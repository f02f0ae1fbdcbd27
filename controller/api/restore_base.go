package api

import (
	"context"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/catalog"
)

// consistentAt is a backup's consistency point: the earliest time a
// restore of it can stop at. For physical PostgreSQL backups that is the
// database clock at pg_backup_stop ("stopTime" in the metadata); a backup
// without it falls back to when it completed, which is later, so a pick
// based on it is never too new.
func consistentAt(b catalog.Backup) time.Time {
	if s, _ := b.Metadata["stopTime"].(string); s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return b.CompletedAt
}

// pickBase returns the base backup for a restore of src to at: the newest
// completed physical backup consistent at or before at. When there is
// none the error names the earliest time src can be restored to.
func (s *Recovery) pickBase(ctx context.Context, src catalog.Source, at time.Time) (catalog.Backup, error) {
	if src.Type != catalog.SourcePostgres {
		return catalog.Backup{}, apierr.Invalid("source", "source %q is a %s source; point in time needs a PostgreSQL source with physical backups", src.Name, src.Type)
	}
	list, err := catalog.All(func(p catalog.Page) ([]catalog.Backup, int, error) {
		return s.d.Store.ListBackups(ctx, catalog.BackupFilter{Source: src.ID, Status: catalog.BackupCompleted, Page: p})
	})
	if err != nil {
		return catalog.Backup{}, err
	}
	var best, earliest catalog.Backup
	for _, b := range list {
		if b.SnapshotID == "" || backupMethod(b, src) != methodPhysical {
			continue
		}
		c := consistentAt(b)
		if earliest.ID == "" || c.Before(consistentAt(earliest)) {
			earliest = b
		}
		if !c.After(at) && (best.ID == "" || c.After(consistentAt(best))) {
			best = b
		}
	}
	switch {
	case best.ID != "":
		return best, nil
	case earliest.ID == "":
		return best, apierr.Precondition("pointInTime", "source %q has no completed physical backup to replay WAL on: take one (POST /api/backups) first", src.Name)
	}
	return best, apierr.Precondition("pointInTime", "no physical backup of source %q is consistent by %s: the earliest time it can be restored to is %s (backup %s)",
		src.Name, timeText(at), timeText(consistentAt(earliest)), earliest.ID)
}
