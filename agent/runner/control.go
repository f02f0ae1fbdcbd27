package runner

import (
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Assign starts an attempt. A repeated assignment (at-least-once delivery)
// is acknowledged again but not started twice; an assignment with a newer
// epoch for the same job replaces, and silences, the older attempt.
func (r *Runner) Assign(a *cofferv1.JobAssignment) {
	k := key{a.GetJobId(), a.GetAttempt(), a.GetEpoch()}
	log := r.log.With(slog.String("job", a.GetJobId()), slog.Int("attempt", int(k.attempt)), slog.Int64("epoch", k.epoch))
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if _, ok := r.silenced[k]; ok {
		r.mu.Unlock()
		log.Warn("ignoring assignment of an aborted attempt")
		return
	}
	if r.jobs[k] != nil || r.pending[k] != nil {
		res := r.pending[k]
		r.mu.Unlock()
		r.send(accepted(k))
		if res != nil {
			r.send(resultMsg(res))
		}
		return
	}
	for old, j := range r.jobs {
		if old.jobID != k.jobID {
			continue
		}
		if old.epoch > k.epoch {
			r.mu.Unlock()
			log.Warn("ignoring assignment older than the running attempt", slog.Int64("running_epoch", old.epoch))
			return
		}
		r.silence(old)
		delete(r.jobs, old)
		j.stop(errSuperseded)
	}
	j := newJob(r.base, k, a, r.opts.Now())
	r.jobs[k] = j
	r.wg.Add(1)
	r.mu.Unlock()

	log.Info("job attempt accepted", slog.String("kind", a.GetKind().String()))
	r.send(accepted(k))
	go r.run(j, log)
}

// Cancel stops the attempt; it then reports CANCELLED. A cancel for an
// attempt this agent does not run is answered with CANCELLED at once, so
// the controller always reaches a terminal state.
func (r *Runner) Cancel(c *cofferv1.CancelJob) {
	want := key{c.GetJobId(), c.GetAttempt(), c.GetEpoch()}
	r.mu.Lock()
	for k, j := range r.jobs {
		if matches(k, want, false) {
			r.mu.Unlock()
			r.log.Info("cancelling job attempt", slog.String("job", k.jobID), slog.String("reason", c.GetReason()))
			j.cancelWith(c.GetReason())
			return
		}
	}
	for k, res := range r.pending {
		if matches(k, want, false) {
			r.mu.Unlock()
			r.send(resultMsg(res)) // already finished: the result stands
			return
		}
	}
	if _, ok := r.silenced[want]; ok {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	now := timestamppb.New(r.opts.Now())
	res := &cofferv1.JobResult{
		JobId: want.jobID, Attempt: want.attempt, Epoch: want.epoch,
		Outcome:   cofferv1.JobOutcome_JOB_OUTCOME_CANCELLED,
		Error:     &cofferv1.JobError{Code: "cancelled", Message: "cancelled before this agent ran it"},
		StartedAt: now, FinishedAt: now,
	}
	r.record(want, res)
}

// Abort stops matching attempts at once and forgets them, including a
// result that was waiting for an acknowledgement.
func (r *Runner) Abort(a *cofferv1.AbortJob) {
	want := key{a.GetJobId(), a.GetAttempt(), a.GetEpoch()}
	var stop []*job
	var drop []key
	r.mu.Lock()
	r.silence(want)
	for k, j := range r.jobs {
		if matches(k, want, true) {
			r.silence(k)
			delete(r.jobs, k)
			stop = append(stop, j)
		}
	}
	for k := range r.pending {
		if matches(k, want, true) {
			r.silence(k)
			delete(r.pending, k)
			drop = append(drop, k)
		}
	}
	r.mu.Unlock()
	for _, j := range stop {
		j.stop(errAborted)
	}
	for _, k := range drop {
		r.outbox.remove(k, r.log)
	}
	r.log.Warn("job attempt aborted by the controller", slog.String("job", want.jobID),
		slog.Int("attempt", int(want.attempt)), slog.Int64("epoch", want.epoch),
		slog.String("reason", a.GetReason().String()), slog.String("message", a.GetMessage()),
		slog.Int("stopped", len(stop)), slog.Int("dropped_results", len(drop)))
}

// Reattached notes that the controller kept an attempt after a reconnect.
func (r *Runner) Reattached(m *cofferv1.JobReattached) {
	r.log.Info("job attempt reattached", slog.String("job", m.GetJobId()), slog.Int("attempt", int(m.GetAttempt())), slog.Int64("epoch", m.GetEpoch()))
}

// Acked forgets an acknowledged result.
func (r *Runner) Acked(m *cofferv1.JobResultAck) {
	k := key{m.GetJobId(), m.GetAttempt(), m.GetEpoch()}
	r.mu.Lock()
	_, ok := r.pending[k]
	delete(r.pending, k)
	r.mu.Unlock()
	if ok {
		r.outbox.remove(k, r.log)
	}
}

// matches reports whether attempt k is the one want names. Zero attempt or
// epoch in want match any; for aborts, older epochs match too (they are
// stale by definition).
func matches(k, want key, orOlder bool) bool {
	if k.jobID != want.jobID || (want.attempt != 0 && k.attempt != want.attempt) {
		return false
	}
	if want.epoch == 0 || k.epoch == want.epoch {
		return true
	}
	return orOlder && k.epoch < want.epoch
}

// record ends attempt k with res: kept (on disk first) until acknowledged,
// and sent, unless the attempt was silenced meanwhile.
func (r *Runner) record(k key, res *cofferv1.JobResult) {
	r.outbox.save(res, r.log)
	r.mu.Lock()
	delete(r.jobs, k)
	if _, ok := r.silenced[k]; ok {
		r.mu.Unlock()
		r.outbox.remove(k, r.log)
		return
	}
	r.pending[k] = res
	r.mu.Unlock()
	r.send(resultMsg(res))
}

func accepted(k key) *cofferv1.ConnectRequest {
	return &cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Accepted{Accepted: &cofferv1.JobAccepted{
		JobId: k.jobID, Attempt: k.attempt, Epoch: k.epoch,
	}}}
}

func resultMsg(res *cofferv1.JobResult) *cofferv1.ConnectRequest {
	return &cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Result{Result: res}}
}
