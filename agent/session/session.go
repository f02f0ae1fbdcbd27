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

// StorageTester is implemented by handlers that run storage tests; it must
// not block (the answer is sent later, with Send).
type StorageTester interface {
	TestStorage(*cofferv1.StorageTestRequest)
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
		return "controller refused this agent: " + e.Message
	case codes.FailedPrecondition:
		return "controller refused this agent version: " + e.Message
	}
	return fmt.Sprintf("controller refused this agent (%s): %s", e.Code, e.Message)
}

// Reasons a stream is ended from this side.
var (
	errSilent  = errors.New("controller silent for three heartbeat intervals")
	errRestart = errors.New("stream restarted by the agent")
	errTimeout = errors.New("no welcome from the controller in time")
)

// Dialer opens a new connection to the controller for one stream and
// returns the channel client and a function that closes the connection.
// A fresh connection per stream means a renewed client certificate is
// presented from the next stream on.
type Dialer func() (cofferv1.AgentChannelServiceClient, func() error, error)

// Session is the agent's channel to the controller.
type Session struct {
	dial Dialer
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	queue  chan *cofferv1.ConnectRequest // nil while no stream is up
	cancel context.CancelCauseFunc       // ends the current stream
}

// New prepares a session that dials with dial; Run starts it.
func New(dial Dialer, opts Options) *Session {
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
	return &Session{dial: dial, opts: opts, log: opts.Log}
}

// Restart ends the current stream so that Run reconnects at once, on a new
// connection (used after a certificate renewal).
func (s *Session) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel(errRestart)
	}
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
		if errors.Is(err, errRestart) {
			s.log.Info("reconnecting to the controller on a new connection")
			bo.reset()
			continue
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
