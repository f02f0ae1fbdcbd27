package protoconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// TS converts a time; the zero time is absent.
func TS(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Time converts a timestamp; absent is the zero time.
func Time(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime().UTC()
}

// Struct converts a JSON object; values that are not JSON-compatible are
// dropped rather than failing a read.
func Struct(m map[string]any) *structpb.Struct {
	if len(m) == 0 {
		return nil
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		s = &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for k, v := range m {
			if pv, err := structpb.NewValue(v); err == nil {
				s.Fields[k] = pv
			}
		}
	}
	return s
}

// Map converts a Struct to a JSON object (nil for absent).
func Map(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

// Phase is the catalog's word for a phase: "transferring".
func Phase(p cofferv1.JobPhase) string {
	if p == cofferv1.JobPhase_JOB_PHASE_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(p.String(), "JOB_PHASE_"))
}

// PhaseEnum is the inverse of Phase.
func PhaseEnum(s string) cofferv1.JobPhase {
	if s == "" {
		return cofferv1.JobPhase_JOB_PHASE_UNSPECIFIED
	}
	return cofferv1.JobPhase(cofferv1.JobPhase_value["JOB_PHASE_"+strings.ToUpper(s)])
}

// Progress converts catalog progress to the API's.
func Progress(p catalog.Progress) *cofferv1.JobProgress {
	return &cofferv1.JobProgress{
		Phase:              PhaseEnum(p.Phase),
		BytesDone:          p.BytesDone,
		BytesTotal:         p.BytesTotal,
		EntriesDone:        p.EntriesDone,
		EntriesTotal:       p.EntriesTotal,
		BytesWritten:       p.BytesWritten,
		RateBytesPerSecond: p.RateBytesPerSecond,
		EtaSeconds:         p.ETASeconds,
		Percent:            p.Percent,
	}
}

// CatalogProgress converts an agent's report to catalog progress.
func CatalogProgress(p *cofferv1.JobProgress, seq int64, steps []*cofferv1.RecoveryStep) catalog.Progress {
	return catalog.Progress{
		Phase:              Phase(p.GetPhase()),
		BytesDone:          p.GetBytesDone(),
		BytesTotal:         p.GetBytesTotal(),
		EntriesDone:        p.GetEntriesDone(),
		EntriesTotal:       p.GetEntriesTotal(),
		BytesWritten:       p.GetBytesWritten(),
		RateBytesPerSecond: p.GetRateBytesPerSecond(),
		ETASeconds:         p.GetEtaSeconds(),
		Percent:            p.GetPercent(),
		Sequence:           seq,
		Steps:              CatalogSteps(steps),
	}
}

// Steps converts restore plan steps to the API's.
func Steps(st []catalog.Step) []*cofferv1.RecoveryStep {
	out := make([]*cofferv1.RecoveryStep, 0, len(st))
	for _, s := range st {
		out = append(out, &cofferv1.RecoveryStep{
			Name: s.Name, Status: s.Status, StartedAt: TS(s.StartedAt), CompletedAt: TS(s.CompletedAt), Message: s.Message,
		})
	}
	return out
}

// CatalogSteps converts reported steps to catalog steps.
func CatalogSteps(st []*cofferv1.RecoveryStep) []catalog.Step {
	if len(st) == 0 {
		return nil
	}
	out := make([]catalog.Step, 0, len(st))
	for _, s := range st {
		out = append(out, catalog.Step{
			Name: s.GetName(), Status: s.GetStatus(), StartedAt: Time(s.GetStartedAt()),
			CompletedAt: Time(s.GetCompletedAt()), Message: s.GetMessage(),
		})
	}
	return out
}
