package api

import (
	"context"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Recovery implements RecoveryService.
type Recovery struct {
	cofferv1.UnimplementedRecoveryServiceServer
	d *Deps
}

var recoveryStatuses = []string{catalog.RecoveryPending, catalog.RecoveryRunning, catalog.RecoveryCompleted,
	catalog.RecoveryFailed, catalog.RecoveryCancelled}

func (s *Recovery) GetRecoveryStatus(ctx context.Context, req *cofferv1.GetRecoveryStatusRequest) (*cofferv1.GetRecoveryStatusResponse, error) {
	r, err := s.byID(ctx, "jobId", req.GetJobId())
	if err != nil {
		return nil, err
	}
	job, err := s.d.liveJob(ctx, r.JobID, false)
	if err != nil {
		return nil, err
	}
	return &cofferv1.GetRecoveryStatusResponse{Job: recoveryProto(r, job, s.d.Now())}, nil
}

func (s *Recovery) byID(ctx context.Context, field, id string) (catalog.RecoveryJob, error) {
	r, err := byID(ctx, field, "recovery job", id, s.d.Store.GetRecoveryJob)
	if err != nil {
		return r, err
	}
	return r, inScope(ctx, catalog.Source{ID: r.SourceID})
}

func (s *Recovery) ListRecoveryJobs(ctx context.Context, req *cofferv1.ListRecoveryJobsRequest) (*cofferv1.ListRecoveryJobsResponse, error) {
	p, err := page(req.GetPage(), req.GetLimit())
	if err != nil {
		return nil, err
	}
	f := catalog.RecoveryFilter{BackupID: req.GetBackupId(), Page: p}
	if req.GetStatus() != "" {
		if f.Status, err = oneOf("status", req.GetStatus(), "", recoveryStatuses...); err != nil {
			return nil, err
		}
	}
	list, total, err := s.d.Store.ListRecoveryJobs(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &cofferv1.ListRecoveryJobsResponse{Jobs: make([]*cofferv1.RecoveryJob, 0, len(list)), Pagination: pagination(p, total)}
	now := s.d.Now()
	for _, r := range list {
		var job *catalog.Job
		if r.Status == catalog.RecoveryPending || r.Status == catalog.RecoveryRunning {
			if job, err = s.d.liveJob(ctx, r.JobID, false); err != nil {
				return nil, err
			}
		}
		out.Jobs = append(out.Jobs, recoveryProto(r, job, now))
	}
	return out, nil
}

func (s *Recovery) CancelRecovery(ctx context.Context, req *cofferv1.CancelRecoveryRequest) (*cofferv1.CancelRecoveryResponse, error) {
	r, err := s.byID(ctx, "jobId", req.GetJobId())
	if err != nil {
		return nil, err
	}
	reason := req.GetReason()
	if reason == "" {
		reason = "cancelled by " + principal(ctx).Name
	}
	if err := s.d.cancelJob(ctx, r.JobID, "recovery job", r.ID, reason); err != nil {
		return nil, err
	}
	if err := s.d.record(ctx, principal(ctx).Actor(), "restore.cancel", "recovery/"+r.ID, map[string]any{"reason": reason}); err != nil {
		return nil, err
	}
	if r, err = s.d.Store.GetRecoveryJob(ctx, r.ID); err != nil {
		return nil, err
	}
	return &cofferv1.CancelRecoveryResponse{Job: recoveryProto(r, nil, s.d.Now())}, nil
}
