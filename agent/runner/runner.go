package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Options configure a Runner.
type Options struct {
	// Sources maps SourceSpec.type ("files", ...) to its driver.
	Sources map[string]SourceFactory
	// OpenStorage opens repository backends; KEK decodes key material
	// (default KeyFileKEK).
	OpenStorage StorageOpener
	KEK         KEKFunc
	// Send hands a message to the controller channel; it reports false
	// when no stream is up. Results are kept and resent (see Unacked).
	Send func(*cofferv1.ConnectRequest) bool
	// StateDir keeps unacknowledged results across restarts; empty keeps
	// them in memory only.
	StateDir string
	// ProgressInterval is how often a running attempt reports; default and
	// maximum one second.
	ProgressInterval time.Duration
	Hostname         string
	Now              func() time.Time
	Log              *slog.Logger
}

// Stop causes, told apart when an attempt ends.
var (
	errCancelled  = errors.New("cancelled by the controller")
	errAborted    = errors.New("aborted by the controller")
	errSuperseded = errors.New("superseded by a newer attempt")
	errShutdown   = errors.New("agent is shutting down")
)

// key identifies one attempt.
type key struct {
	jobID   string
	attempt int32
	epoch   int64
}

func (k key) String() string { return fmt.Sprintf("%s/%d@%d", k.jobID, k.attempt, k.epoch) }

// Runner runs job attempts. Its methods are safe for concurrent use.
type Runner struct {
	opts     Options
	log      *slog.Logger
	interval atomic.Int64
	outbox   outbox

	base     context.Context
	stopBase context.CancelCauseFunc
	wg       sync.WaitGroup

	mu       sync.Mutex
	jobs     map[key]*job
	pending  map[key]*cofferv1.JobResult
	silenced map[key]time.Time
	closed   bool
}

// New makes a Runner and loads results a previous run left unacknowledged.
func New(opts Options) (*Runner, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.KEK == nil {
		opts.KEK = KeyFileKEK
	}
	if opts.Send == nil {
		opts.Send = func(*cofferv1.ConnectRequest) bool { return false }
	}
	r := &Runner{
		opts:     opts,
		log:      opts.Log,
		outbox:   outbox{dir: opts.StateDir},
		jobs:     map[key]*job{},
		pending:  map[key]*cofferv1.JobResult{},
		silenced: map[key]time.Time{},
	}
	r.SetProgressInterval(opts.ProgressInterval)
	r.base, r.stopBase = context.WithCancelCause(context.Background())
	results, err := r.outbox.load(r.log)
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		r.pending[resultKey(res)] = res
	}
	return r, nil
}

// SetProgressInterval changes the report interval for attempts started
// from now on; values above one second (and unset ones) become one second.
func (r *Runner) SetProgressInterval(d time.Duration) {
	if d <= 0 || d > time.Second {
		d = time.Second
	}
	r.interval.Store(int64(d))
}

// Close stops every running attempt (each reports a retryable failure,
// kept on disk for the next start) and waits for them.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stopBase(errShutdown)
	r.wg.Wait()
}

// Running lists the attempts still running, for the hello.
func (r *Runner) Running() []*cofferv1.RunningJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*cofferv1.RunningJob, 0, len(r.jobs))
	for k, j := range r.jobs {
		out = append(out, &cofferv1.RunningJob{JobId: k.jobID, Attempt: k.attempt, Epoch: k.epoch, Progress: j.progressProto()})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].GetJobId() < out[b].GetJobId() })
	return out
}

// Unacked lists results the controller has not acknowledged yet.
func (r *Runner) Unacked() []*cofferv1.JobResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*cofferv1.JobResult, 0, len(r.pending))
	for _, res := range r.pending {
		out = append(out, res)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].GetJobId() < out[b].GetJobId() })
	return out
}

// Reportable says whether msg may still be sent: nothing about an aborted
// or superseded attempt ever is.
func (r *Runner) Reportable(msg *cofferv1.ConnectRequest) bool {
	var k key
	switch m := msg.GetMessage().(type) {
	case *cofferv1.ConnectRequest_Accepted:
		k = key{m.Accepted.GetJobId(), m.Accepted.GetAttempt(), m.Accepted.GetEpoch()}
	case *cofferv1.ConnectRequest_Progress:
		k = key{m.Progress.GetJobId(), m.Progress.GetAttempt(), m.Progress.GetEpoch()}
	case *cofferv1.ConnectRequest_Result:
		k = resultKey(m.Result)
	default:
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, silenced := r.silenced[k]
	return !silenced
}

func (r *Runner) send(msg *cofferv1.ConnectRequest) { r.opts.Send(msg) }

func resultKey(res *cofferv1.JobResult) key {
	return key{res.GetJobId(), res.GetAttempt(), res.GetEpoch()}
}

// silence marks k as never to be reported again; r.mu is held. Old marks
// are dropped after a day, long past any redelivery.
func (r *Runner) silence(k key) {
	now := r.opts.Now()
	for old, at := range r.silenced {
		if now.Sub(at) > 24*time.Hour {
			delete(r.silenced, old)
		}
	}
	r.silenced[k] = now
}
