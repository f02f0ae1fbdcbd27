package api

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Backup methods of database sources, as the agent records them in the
// backup's metadata ("method").
const (
	methodPhysical = "physical"
	methodLogical  = "logical"
)

// checkRecoveryTarget checks RestoreRequest.recovery_target on its own
// and against point_in_time; checkTarget then checks it against the backup.
func checkRecoveryTarget(target string, pointInTime bool) error {
	switch target {
	case "", catalog.RecoveryTargetEnd:
		if target != "" && pointInTime {
			return apierr.Invalid("recoveryTarget", `"end" replays the whole archive; it cannot be combined with pointInTime (leave recoveryTarget empty)`)
		}
	case catalog.RecoveryTargetImmediate:
		if pointInTime {
			return apierr.Invalid("recoveryTarget", `"immediate" stops at the backup's consistency point; it cannot be combined with pointInTime`)
		}
	case catalog.RecoveryTargetTime:
		if !pointInTime {
			return apierr.Invalid("pointInTime", `is required with recoveryTarget "time"`)
		}
	default:
		return apierr.Invalid("recoveryTarget", `must be "end" (the default) or "immediate", or empty with pointInTime; got %q`, target)
	}
	return nil
}

// backupMethod is how a database backup was taken: the method its
// metadata records, else (older backups) its source's configured method.
func backupMethod(b catalog.Backup, src catalog.Source) string {
	if m, _ := b.Metadata["method"].(string); m != "" {
		return m
	}
	if b.SourceType != catalog.SourcePostgres {
		return methodLogical
	}
	if m, _ := src.Config["method"].(string); m != "" {
		return m
	}
	return methodPhysical
}

// checkTarget validates the restore target and returns the recovery
// target to record. Files backups and physical PostgreSQL backups restore
// into targetPath, logical backups into targetDatabase. Without
// overwriteExisting it refuses a targetPath that overlaps a path the agent
// backs up (a files source's paths, a postgres source's data directory) or
// that an earlier restore on that agent wrote to: what the controller
// knows is not empty. The agent refuses other non-empty targets itself.
func (s *Recovery) checkTarget(ctx context.Context, b catalog.Backup, src catalog.Source, r catalog.RecoveryJob) (string, error) {
	physical := b.SourceType == catalog.SourcePostgres && backupMethod(b, src) == methodPhysical
	switch {
	case physical:
		if err := checkPhysicalTarget(b, r); err != nil {
			return "", err
		}
	case b.SourceType == catalog.SourceFiles:
		if err := checkFilesTarget(r); err != nil {
			return "", err
		}
	default:
		return "", checkLogicalTarget(b, r)
	}
	target := r.RecoveryTarget
	switch {
	case !physical:
		target = ""
	case !r.PointInTime.IsZero():
		target = catalog.RecoveryTargetTime
	case target == "":
		target = catalog.RecoveryTargetEnd
	}
	if r.OverwriteExisting || r.ValidateOnly {
		return target, nil
	}
	return target, s.checkNotLive(ctx, r)
}

func checkPhysicalTarget(b catalog.Backup, r catalog.RecoveryJob) error {
	switch {
	case r.TargetDatabase != "":
		return apierr.Invalid("targetDatabase", "is for logical backups; backup %s is a physical PostgreSQL backup, which restores into targetPath (a new data directory)", b.ID)
	case r.TargetPath == "" && !r.ValidateOnly:
		return apierr.Invalid("targetPath", "is required for a physical PostgreSQL backup: the absolute directory on the agent's host to restore the data directory into")
	case r.TargetPath != "" && !filepath.IsAbs(r.TargetPath):
		return apierr.Invalid("targetPath", "must be an absolute path on the agent's host, got %q", r.TargetPath)
	}
	if at := consistentAt(b); !r.PointInTime.IsZero() && at.After(r.PointInTime) {
		return apierr.Precondition("pointInTime", "backup %s is consistent only from %s, after pointInTime %s: name an earlier backup, or leave backupId empty to let the controller pick one",
			b.ID, timeText(at), timeText(r.PointInTime))
	}
	return nil
}

func checkFilesTarget(r catalog.RecoveryJob) error {
	switch {
	case r.TargetDatabase != "":
		return apierr.Invalid("targetDatabase", "is for logical database backups; a files backup restores into targetPath")
	case r.TargetPath == "":
		return apierr.Invalid("targetPath", "is required for a files backup")
	case !filepath.IsAbs(r.TargetPath):
		return apierr.Invalid("targetPath", "must be an absolute path on the agent's host, got %q", r.TargetPath)
	case !r.PointInTime.IsZero():
		return apierr.Invalid("pointInTime", "files backups restore whole snapshots; point in time needs a physical PostgreSQL backup")
	case r.RecoveryTarget != "":
		return apierr.Invalid("recoveryTarget", "files backups have no log to replay; recoveryTarget is for physical PostgreSQL backups")
	}
	return nil
}

func checkLogicalTarget(b catalog.Backup, r catalog.RecoveryJob) error {
	switch {
	case r.TargetPath != "":
		return apierr.Invalid("targetPath", "is for files and physical PostgreSQL backups; backup %s is a logical %s backup, which restores into targetDatabase", b.ID, b.SourceType)
	case r.TargetDatabase == "":
		return apierr.Invalid("targetDatabase", "is required for a logical %s backup", b.SourceType)
	case !r.PointInTime.IsZero():
		return apierr.Invalid("pointInTime", "backup %s is a logical dump, restored as it was taken; point in time needs a physical PostgreSQL backup", b.ID)
	case r.RecoveryTarget != "":
		return apierr.Invalid("recoveryTarget", "backup %s is a logical dump with no log to replay; recoveryTarget is for physical PostgreSQL backups", b.ID)
	}
	return nil
}

// checkNotLive refuses a targetPath over live data the controller knows of.
func (s *Recovery) checkNotLive(ctx context.Context, r catalog.RecoveryJob) error {
	if r.TargetPath == "" {
		return nil
	}
	target := filepath.Clean(r.TargetPath)
	for _, typ := range []string{catalog.SourceFiles, catalog.SourcePostgres} {
		sources, err := catalog.All(func(p catalog.Page) ([]catalog.Source, int, error) {
			return s.d.Store.ListSources(ctx, catalog.SourceFilter{AgentID: r.AgentID, Type: typ, Page: p})
		})
		if err != nil {
			return err
		}
		for _, src := range sources {
			for _, p := range livePaths(src) {
				if overlaps(target, p) {
					return apierr.Precondition("overwriteExisting", "targetPath %s overlaps %s, which source %q backs up: restoring there would overwrite live data; set overwriteExisting to allow it", target, p, src.Name)
				}
			}
		}
	}
	prev, err := catalog.All(func(p catalog.Page) ([]catalog.RecoveryJob, int, error) {
		return s.d.Store.ListRecoveryJobs(ctx, catalog.RecoveryFilter{Status: catalog.RecoveryCompleted, Page: p})
	})
	if err != nil {
		return err
	}
	for _, p := range prev {
		if p.AgentID == r.AgentID && !p.ValidateOnly && p.TargetPath != "" && overlaps(target, filepath.Clean(p.TargetPath)) {
			return apierr.Precondition("overwriteExisting", "targetPath %s was written by restore %s and is not empty; set overwriteExisting to overwrite it", target, p.ID)
		}
	}
	return nil
}

// overlaps reports whether one path contains the other.
func overlaps(a, b string) bool {
	within := func(x, y string) bool { return x == y || strings.HasPrefix(x, strings.TrimSuffix(y, "/")+"/") }
	return within(a, b) || within(b, a)
}

// livePaths returns the local paths a source backs up: a files source's
// configured paths, a postgres source's data directory.
func livePaths(src catalog.Source) []string {
	var raw []any
	switch src.Type {
	case catalog.SourceFiles:
		raw, _ = src.Config["paths"].([]any)
	case catalog.SourcePostgres:
		raw = []any{src.Config["dataDir"]}
	}
	var out []string
	for _, v := range raw {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, filepath.Clean(s))
		}
	}
	return out
}

// timeText formats a time for messages and audit details ("" when unset).
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
