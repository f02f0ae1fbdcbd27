package runner

import (
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// job is one running attempt.
type job struct {
	key     key
	assign  *cofferv1.JobAssignment
	started time.Time
	ctx     context.Context
	cancel  context.CancelCauseFunc

	mu       sync.Mutex
	progress Progress
	steps    []*cofferv1.RecoveryStep
	seq      int64
	reason   string // why the controller cancelled, for the result
}

func newJob(base context.Context, k key, a *cofferv1.JobAssignment, now time.Time) *job {
	ctx, cancel := context.WithCancelCause(base)
	return &job{
		key: k, assign: a, started: now, ctx: ctx, cancel: cancel,
		progress: Progress{Phase: cofferv1.JobPhase_JOB_PHASE_STARTING, ETA: -1},
	}
}

// stop ends the attempt with cause; the first cause wins.
func (j *job) stop(cause error) { j.cancel(cause) }

// cancelWith stops the attempt on the controller's request.
func (j *job) cancelWith(reason string) {
	j.mu.Lock()
	if j.reason == "" {
		j.reason = reason
	}
	j.mu.Unlock()
	j.cancel(errCancelled)
}

func (j *job) cancelReason() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.reason == "" {
		return "cancelled on the controller's request"
	}
	return "cancelled: " + j.reason
}

func (j *job) setProgress(p Progress) {
	j.mu.Lock()
	j.progress = p
	j.mu.Unlock()
}

// step records a restore plan step's state.
func (j *job) step(now time.Time, name, status, message string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var s *cofferv1.RecoveryStep
	for _, x := range j.steps {
		if x.GetName() == name {
			s = x
		}
	}
	if s == nil {
		s = &cofferv1.RecoveryStep{Name: name}
		j.steps = append(j.steps, s)
	}
	s.Status, s.Message = status, message
	switch status {
	case "running":
		s.StartedAt = timestamppb.New(now)
	case "completed", "failed", "skipped":
		if s.StartedAt == nil {
			s.StartedAt = timestamppb.New(now)
		}
		s.CompletedAt = timestamppb.New(now)
	}
}

func (j *job) stepsProto() []*cofferv1.RecoveryStep {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*cofferv1.RecoveryStep, len(j.steps))
	for i, s := range j.steps {
		out[i] = clone(s)
	}
	return out
}

func (j *job) progressProto() *cofferv1.JobProgress {
	j.mu.Lock()
	defer j.mu.Unlock()
	return toProto(j.progress)
}

// report builds the next progress report; sequence numbers start at 1.
func (j *job) report() *cofferv1.ConnectRequest {
	steps := j.stepsProto()
	j.mu.Lock()
	j.seq++
	rep := &cofferv1.JobProgressReport{
		JobId: j.key.jobID, Attempt: j.key.attempt, Epoch: j.key.epoch,
		Sequence: j.seq, Progress: toProto(j.progress),
	}
	j.mu.Unlock()
	if len(steps) > 0 {
		rep.Steps = steps
	}
	return &cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Progress{Progress: rep}}
}

func toProto(p Progress) *cofferv1.JobProgress {
	out := &cofferv1.JobProgress{
		Phase:              p.Phase,
		BytesDone:          p.BytesDone,
		BytesTotal:         p.BytesTotal,
		EntriesDone:        p.EntriesDone,
		EntriesTotal:       p.EntriesTotal,
		BytesWritten:       p.BytesWritten,
		RateBytesPerSecond: p.Rate,
		EtaSeconds:         -1,
	}
	if p.ETA >= 0 {
		out.EtaSeconds = int64(p.ETA.Round(time.Second) / time.Second)
	}
	switch {
	case p.BytesTotal > 0:
		out.Percent = min(100, 100*float64(p.BytesDone)/float64(p.BytesTotal))
	case p.EntriesTotal > 0:
		out.Percent = min(100, 100*float64(p.EntriesDone)/float64(p.EntriesTotal))
	}
	return out
}

// reportLoop sends a report at once and then a little more often than
// every interval (so network and scheduling delays do not stretch the gaps
// past it) until done is closed.
func (r *Runner) reportLoop(j *job, done <-chan struct{}) {
	t := time.NewTicker(time.Duration(r.interval.Load()) * 9 / 10)
	defer t.Stop()
	r.send(j.report())
	for {
		select {
		case <-t.C:
			r.send(j.report())
		case <-done:
			return
		}
	}
}
