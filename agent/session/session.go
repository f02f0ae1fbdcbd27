package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// ProtocolVersion is the channel protocol this agent speaks.
const ProtocolVersion = 1

// Handler is what the session drives: the job runner.
type Handler interface {
	// Running lists attempts still running, for the hello.
	Running() []*cofferv1.RunningJob
	// Unacked lists results to (re)send until acknowledged.
	Unacked() []*cofferv1.JobResult
	// Reportable is asked right before each job message goes out.
	Reportable(*cofferv1.ConnectRequest) bool
	Assign(*cofferv1.JobAssignment)
	Cancel(*cofferv1.CancelJob)
	Abort(*cofferv1.AbortJob)
	Reattached(*cofferv1.JobReattached)
	Acked(*cofferv1.JobResultAck)
}

// Options configure a Session.
type Options struct {
	AgentVersion string
	Capabilities []string
	Hostname     string
	Backoff      Backoff
	// HelloTimeout bounds the wait for the welcome (default 30s).
	HelloTimeout time.Duration
	// Heartbeat is used when the welcome names no interval (default 10s).
	Heartbeat time.Duration
	// ResendInterval is how often unacknowledged results are resent on a
	// live stream (default 10s).
	ResendInterval time.Duration
	// OnWelcome is called after each welcome, e.g. to adopt the
	// controller's progress interval.
	OnWelcome func(*cofferv1.ControllerWelcome)
	Now       func() time.Time
	Log       *slog.Logger
}

// RefusedError means the controller refused this agent in a way that
// reconnecting cannot fix.
type RefusedError struct {
	Code    codes.Code
	Message string
}

func (e *RefusedError) Error() string {
	switch e.Code {
	case codes.PermissionDenied:
		return "controller refused this agent (revoked?): " + e.Message
	case codes.FailedPrecondition:
		return "controller refused this agent version: " + e.Message
	}
	return fmt.Sprintf("controller refused this agent (%s): %s", e.Code, e.Message)
}

// errSilent ends a stream on which the controller stopped talking.
var errSilent = errors.New("controller silent for three heartbeat intervals")

// Session is the agent's channel to the controller.
type Session struct {
	client cofferv1.AgentChannelServiceClient
	opts   Options
	log    *slog.Logger

	mu    sync.Mutex
	queue chan *cofferv1.ConnectRequest // nil while no stream is up
}

// New prepares a session on client; Run starts it.
func New(client cofferv1.AgentChannelServiceClient, opts Options) *Session {
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = 30 * time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 10 * time.Second
	}
	if opts.ResendInterval <= 0 {
		opts.ResendInterval = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Session{client: client, opts: opts, log: opts.Log}
}

// Send queues msg on the current stream. It reports false when no stream
// is up or the queue is full; progress is then simply superseded by the
// next report, and results are resent by the session.
func (s *Session) Send(msg *cofferv1.ConnectRequest) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue == nil {
		return false
	}
	select {
	case s.queue <- msg:
		return true
	default:
		return false
	}
}

// Connected reports whether a welcomed stream is up.
func (s *Session) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queue != nil
}

func (s *Session) setQueue(q chan *cofferv1.ConnectRequest) {
	s.mu.Lock()
	s.queue = q
	s.mu.Unlock()
}

// Run keeps a stream up until ctx ends (returning ctx's error) or the
// controller refuses the agent (returning a *RefusedError).
func (s *Session) Run(ctx context.Context, h Handler) error {
	bo := newBackoffState(s.opts.Backoff)
	for {
		started := time.Now()
		welcomed, err := s.stream(ctx, h)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var refused *RefusedError
		if errors.As(err, &refused) {
			return err
		}
		if welcomed && time.Since(started) >= bo.cfg.StableAfter {
			bo.reset()
		}
		d := bo.wait()
		s.log.Warn("controller stream ended, reconnecting", slog.Any("error", err), slog.Duration("retry_in", d))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// refusal turns a stream error into a RefusedError when retrying is futile.
func refusal(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.PermissionDenied, codes.FailedPrecondition, codes.Unauthenticated:
		return &RefusedError{Code: st.Code(), Message: st.Message()}
	}
	return err
}
