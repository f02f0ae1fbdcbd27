package dispatch

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/controller/apierr"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// running is what the session told its agent about one attempt.
type running struct {
	attempt int32
	epoch   int64
	// cancelling: a CancelJob was sent; progress no longer renews the
	// lease, so the attempt ends within one lease even if the agent never
	// answers.
	cancelling bool
}

// received is one message (or the error that ended the stream).
type received struct {
	msg *cofferv1.ConnectRequest
	err error
}

// session is one agent's open channel. Only its loop goroutine sends on the
// stream and touches the running map; other goroutines talk to it through
// wake, enqueue, revoke and replace.
type session struct {
	d       *Dispatcher
	agentID string
	version string
	stream  cofferv1.AgentChannelService_ConnectServer
	in      chan received
	running map[string]*running

	wakeCh  chan struct{}
	outCh   chan struct{}
	closeCh chan struct{}

	mu       sync.Mutex
	outbox   []*cofferv1.ConnectResponse
	closeErr error
}

func newSession(d *Dispatcher, agentID string, stream cofferv1.AgentChannelService_ConnectServer) *session {
	return &session{
		d: d, agentID: agentID, stream: stream,
		in:      make(chan received, 16),
		running: map[string]*running{},
		wakeCh:  make(chan struct{}, 1),
		outCh:   make(chan struct{}, 1),
		closeCh: make(chan struct{}),
	}
}

// receive pumps the stream into s.in until it fails.
func (s *session) receive() {
	for {
		m, err := s.stream.Recv()
		select {
		case s.in <- received{m, err}:
		case <-s.stream.Context().Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *session) wake() {
	select {
	case s.wakeCh <- struct{}{}:
	default:
	}
}

// enqueue sends m from the loop goroutine soon.
func (s *session) enqueue(m *cofferv1.ConnectResponse) {
	s.mu.Lock()
	s.outbox = append(s.outbox, m)
	s.mu.Unlock()
	select {
	case s.outCh <- struct{}{}:
	default:
	}
}

func (s *session) close(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeErr == nil {
		s.closeErr = err
		close(s.closeCh)
	}
}

func (s *session) revoke() {
	s.close(apierr.Denied("agent %s was revoked", s.agentID))
}

func (s *session) replace() {
	s.close(status.Error(codes.Aborted, "replaced by a newer connection of the same agent"))
}

func (s *session) send(m *cofferv1.ConnectResponse) error {
	if err := s.stream.Send(m); err != nil {
		return err
	}
	return nil
}

// loop serves the session until the stream ends, the agent falls silent or
// the session is closed.
func (s *session) loop(ctx context.Context) error {
	cfg := s.d.cfg
	beat := time.NewTicker(cfg.HeartbeatInterval)
	defer beat.Stop()
	poll := time.NewTicker(cfg.PollInterval)
	defer poll.Stop()
	lastHeard := time.Now()
	if err := s.claim(ctx); err != nil {
		return err
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closeCh:
			return s.closeErr
		case r := <-s.in:
			if errors.Is(r.err, io.EOF) {
				return nil
			}
			if r.err != nil {
				return r.err
			}
			lastHeard = time.Now()
			err = s.handle(ctx, r.msg)
		case <-s.wakeCh:
			// Aborts queued before the wake-up go first, so the agent
			// learns why an attempt ended before it gets the retry.
			if err = s.flush(); err == nil {
				err = s.checkCancels(ctx)
			}
			if err == nil {
				err = s.claim(ctx)
			}
		case <-s.outCh:
			err = s.flush()
		case <-poll.C:
			err = s.claim(ctx)
		case <-beat.C:
			if time.Since(lastHeard) > 3*cfg.HeartbeatInterval {
				return status.Errorf(codes.Unavailable, "agent %s silent for %s", s.agentID, time.Since(lastHeard).Round(time.Second))
			}
			err = s.tick(ctx)
		}
		if err != nil {
			return err
		}
	}
}

func (s *session) flush() error {
	s.mu.Lock()
	out := s.outbox
	s.outbox = nil
	s.mu.Unlock()
	for _, m := range out {
		if a := m.GetAbort(); a != nil {
			delete(s.running, a.GetJobId())
		}
		if err := s.send(m); err != nil {
			return err
		}
	}
	return nil
}

// tick sends a heartbeat and re-checks revocation and cancel requests.
func (s *session) tick(ctx context.Context) error {
	if err := s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Heartbeat{Heartbeat: heartbeat()}}); err != nil {
		return err
	}
	a, err := s.d.store.GetAgent(ctx, s.agentID)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && a.Revoked() {
		return apierr.Denied("agent %s was revoked", s.agentID)
	}
	if err != nil {
		s.d.log.Warn("check agent revocation", "agent", s.agentID, "err", err)
		return nil
	}
	return s.checkCancels(ctx)
}
