package runner

import (
	"fmt"
	"log/slog"
	"sort"

	"google.golang.org/protobuf/types/known/structpb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
)

func (r *Runner) backup(j *job, spec *cofferv1.BackupSpec, log *slog.Logger) (*cofferv1.BackupResult, error) {
	ctx := j.ctx
	src, err := r.source(spec.GetSource())
	if err != nil {
		return nil, err
	}
	rp, err := r.openRepository(ctx, spec.GetRepository(), true)
	if err != nil {
		return nil, err
	}
	defer rp.Backend().Close()

	parentID, parent, err := r.parent(j, rp, spec, log)
	if err != nil {
		return nil, err
	}
	out, err := src.Backup(ctx, &BackupJob{
		Repo:     rp,
		Parent:   parent,
		ParentID: parentID,
		BackupID: spec.GetBackupId(),
		Type:     spec.GetType(),
		Tags:     backupTags(spec),
		Hostname: r.opts.Hostname,
		Progress: j.setProgress,
		Now:      r.opts.Now,
		Log:      log,
	})
	if err != nil {
		return nil, err
	}
	return backupResult(out, parentID)
}

// parent loads the parent snapshot of an incremental or differential
// backup. A parent that is gone (pruned) only costs change detection: the
// backup reads everything, which is still correct.
func (r *Runner) parent(j *job, rp *repo.Repository, spec *cofferv1.BackupSpec, log *slog.Logger) (*repo.ID, *repo.Snapshot, error) {
	if spec.GetType() == "full" || spec.GetParentSnapshotId() == "" {
		return nil, nil, nil
	}
	id, err := repo.ParseID(spec.GetParentSnapshotId())
	if err != nil {
		return nil, nil, Errorf(CodeBadConfig, false, "parent snapshot ID %q: %v", spec.GetParentSnapshotId(), err)
	}
	sn, err := rp.LoadSnapshot(j.ctx, id)
	if storage.IsNotExist(err) {
		log.Warn("parent snapshot not found, reading everything", slog.String("parent", id.String()))
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load parent snapshot: %w", err)
	}
	return &id, sn, nil
}

// backupTags turns the assignment's tags (the controller sets backup,
// source and type, so the catalog can be rebuilt from the repository) into
// the snapshot's sorted "key=value" tags.
func backupTags(spec *cofferv1.BackupSpec) []string {
	tags := make([]string, 0, len(spec.GetTags()))
	for k, v := range spec.GetTags() {
		tags = append(tags, k+"="+v)
	}
	sort.Strings(tags)
	return tags
}

func backupResult(out *BackupOutput, parentID *repo.ID) (*cofferv1.BackupResult, error) {
	if out == nil || out.Snapshot == nil || out.SnapshotID.IsNull() {
		return nil, Errorf(CodeFailed, true, "source driver returned no snapshot")
	}
	meta := map[string]any{}
	for k, v := range out.Metadata {
		meta[k] = v
	}
	sn := out.Snapshot
	meta["snapshotTime"] = sn.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	meta["kind"] = sn.Kind
	if parentID != nil {
		meta["parentSnapshotId"] = parentID.String()
	}
	res := &cofferv1.BackupResult{SnapshotId: out.SnapshotID.String(), EntryCount: out.Entries}
	if s := sn.Summary; s != nil {
		res.SizeBytes = int64(s.BytesTotal)
		res.StoredBytes = int64(s.BytesStored)
		meta["summary"] = map[string]any{
			"filesNew": s.FilesNew, "filesChanged": s.FilesChanged, "filesUnchanged": s.FilesUnchanged,
			"dirs": s.DirsTotal, "bytesRead": s.BytesRead, "bytesTotal": s.BytesTotal,
			"bytesAdded": s.BytesAdded, "bytesStored": s.BytesStored, "blobsNew": s.BlobsNew,
			"durationSeconds": s.End.Sub(s.Start).Seconds(),
		}
	}
	st, err := structpb.NewStruct(jsonable(meta))
	if err != nil {
		return nil, fmt.Errorf("encode backup metadata: %w", err)
	}
	res.Metadata = st
	return res, nil
}

// jsonable converts integer types structpb does not take into float64.
func jsonable(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case uint64:
			out[k] = float64(x)
		case int64:
			out[k] = float64(x)
		case int:
			out[k] = float64(x)
		case map[string]any:
			out[k] = jsonable(x)
		default:
			out[k] = v
		}
	}
	return out
}
