package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

const queueSize = 1024

// stream runs one Connect stream to its end and reports whether it got as
// far as the welcome.
func (s *Session) stream(ctx context.Context, h Handler) (welcomed bool, err error) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
		if cause := context.Cause(sctx); ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause // ended on purpose: restart, silence, timeout
		}
	}()
	client, closeConn, err := s.dial()
	if err != nil {
		return false, fmt.Errorf("dial controller: %w", err)
	}
	defer closeConn()
	st, err := client.Connect(sctx)
	if err != nil {
		return false, fmt.Errorf("open stream: %w", refusal(err))
	}
	hello := &cofferv1.AgentHello{
		AgentVersion:    s.opts.AgentVersion,
		ProtocolVersion: ProtocolVersion,
		Capabilities:    s.opts.Capabilities,
		Hostname:        s.opts.Hostname,
		RunningJobs:     h.Running(),
	}
	if err := st.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Hello{Hello: hello}}); err != nil {
		return false, fmt.Errorf("send hello: %w", s.recvErr(st, err))
	}
	welcome, err := s.awaitWelcome(cancel, st)
	if err != nil {
		return false, err
	}
	hb := time.Duration(welcome.GetHeartbeatIntervalSeconds()) * time.Second
	if hb <= 0 {
		hb = s.opts.Heartbeat
	}
	s.log.Info("connected to controller", slog.String("controller_version", welcome.GetControllerVersion()),
		slog.Int("running_jobs", len(hello.GetRunningJobs())), slog.Duration("heartbeat", hb))
	if s.opts.OnWelcome != nil {
		s.opts.OnWelcome(welcome)
	}

	queue := make(chan *cofferv1.ConnectRequest, queueSize)
	s.setQueue(queue)
	defer s.setQueue(nil)
	s.resend(h)

	var lastRecv atomic.Int64
	lastRecv.Store(time.Now().UnixNano())
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errc <- s.sendLoop(sctx, st, queue, h) })
	wg.Go(func() { errc <- s.recvLoop(st, h, &lastRecv) })
	defer wg.Wait()
	defer cancel(nil)

	beat := time.NewTicker(hb)
	defer beat.Stop()
	resend := time.NewTicker(s.opts.ResendInterval)
	defer resend.Stop()
	for {
		select {
		case <-sctx.Done():
			return true, context.Cause(sctx)
		case err := <-errc:
			var se *sendError
			if errors.As(err, &se) {
				// The stream is broken; its status comes from Recv.
				select {
				case rerr := <-errc:
					err = rerr
				case <-time.After(2 * time.Second):
				}
			}
			return true, refusal(err)
		case <-beat.C:
			if time.Since(time.Unix(0, lastRecv.Load())) > 3*hb {
				cancel(errSilent)
				return true, errSilent
			}
			s.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Heartbeat{Heartbeat: &cofferv1.Heartbeat{SentAt: timestamppb.New(s.opts.Now())}}})
		case <-resend.C:
			s.resend(h)
		}
	}
}

// awaitWelcome reads the first controller message, which must be the
// welcome, within HelloTimeout.
func (s *Session) awaitWelcome(cancel context.CancelCauseFunc, st cofferv1.AgentChannelService_ConnectClient) (*cofferv1.ControllerWelcome, error) {
	t := time.AfterFunc(s.opts.HelloTimeout, func() { cancel(errTimeout) })
	defer t.Stop()
	first, err := st.Recv()
	if err != nil {
		return nil, fmt.Errorf("await welcome: %w", refusal(err))
	}
	w := first.GetWelcome()
	if w == nil {
		return nil, errors.New("controller's first message is not a welcome")
	}
	return w, nil
}

// recvErr returns the stream's real status after a failed Send (gRPC
// reports io.EOF from Send and the status from Recv).
func (s *Session) recvErr(st cofferv1.AgentChannelService_ConnectClient, err error) error {
	if _, rerr := st.Recv(); rerr != nil {
		return refusal(rerr)
	}
	return err
}

func (s *Session) resend(h Handler) {
	for _, res := range h.Unacked() {
		s.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Result{Result: res}})
	}
}

// sendError is a failed Send; the stream's status is what Recv returns.
type sendError struct{ err error }

func (e *sendError) Error() string { return "send: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// sendLoop is the only writer of the stream.
func (s *Session) sendLoop(ctx context.Context, st cofferv1.AgentChannelService_ConnectClient, queue <-chan *cofferv1.ConnectRequest, h Handler) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m := <-queue:
			if !h.Reportable(m) {
				continue
			}
			if err := st.Send(m); err != nil {
				return &sendError{err}
			}
		}
	}
}

// recvLoop hands every controller message to h as it arrives, so an abort
// takes effect before any further message about that attempt is sent.
func (s *Session) recvLoop(st cofferv1.AgentChannelService_ConnectClient, h Handler, lastRecv *atomic.Int64) error {
	for {
		m, err := st.Recv()
		if err != nil {
			return err
		}
		lastRecv.Store(time.Now().UnixNano())
		switch x := m.GetMessage().(type) {
		case *cofferv1.ConnectResponse_Assignment:
			h.Assign(x.Assignment)
		case *cofferv1.ConnectResponse_Cancel:
			h.Cancel(x.Cancel)
		case *cofferv1.ConnectResponse_Abort:
			h.Abort(x.Abort)
		case *cofferv1.ConnectResponse_Reattached:
			h.Reattached(x.Reattached)
		case *cofferv1.ConnectResponse_ResultAck:
			h.Acked(x.ResultAck)
		case *cofferv1.ConnectResponse_StorageTest:
			if st, ok := h.(StorageTester); ok {
				st.TestStorage(x.StorageTest)
			} else {
				s.log.Warn("ignoring storage test: this agent cannot run it")
			}
		case *cofferv1.ConnectResponse_Heartbeat, *cofferv1.ConnectResponse_Welcome:
		default:
			s.log.Warn("ignoring unknown controller message", slog.String("type", fmt.Sprintf("%T", x)))
		}
	}
}
