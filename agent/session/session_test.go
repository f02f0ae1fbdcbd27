package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/cofferhq/coffer/agent/enroll"
	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/session"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// handler is a minimal Handler holding one unacknowledged result.
type handler struct {
	mu     sync.Mutex
	result *cofferv1.JobResult
	acked  chan struct{}
}

func (h *handler) Running() []*cofferv1.RunningJob { return nil }
func (h *handler) Unacked() []*cofferv1.JobResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.result == nil {
		return nil
	}
	return []*cofferv1.JobResult{h.result}
}
func (h *handler) Reportable(*cofferv1.ConnectRequest) bool { return true }
func (h *handler) Assign(*cofferv1.JobAssignment)           {}
func (h *handler) Cancel(*cofferv1.CancelJob)               {}
func (h *handler) Abort(*cofferv1.AbortJob)                 {}
func (h *handler) Reattached(*cofferv1.JobReattached)       {}
func (h *handler) Acked(*cofferv1.JobResultAck) {
	h.mu.Lock()
	h.result = nil
	h.mu.Unlock()
	close(h.acked)
}

// dialer enrolls an identity with c and dials with it.
func dialer(t *testing.T, c *agenttest.Controller) session.Dialer {
	t.Helper()
	id, err := enroll.Store{Dir: t.TempDir()}.Enroll(context.Background(), enroll.Request{Addr: c.Addr, Token: c.NewToken(t, time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := enroll.ClientTLS(enroll.ServerName(c.Addr), func() *enroll.Identity { return id })
	return func() (cofferv1.AgentChannelServiceClient, func() error, error) {
		conn, err := grpc.NewClient(c.Addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
		if err != nil {
			return nil, nil, err
		}
		return cofferv1.NewAgentChannelServiceClient(conn), conn.Close, nil
	}
}

func runSession(t *testing.T, s *session.Session, h session.Handler) chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel: %v", err)
		}
	})
	return done
}

func TestUnackedResultResentOnLiveStream(t *testing.T) {
	t.Parallel()
	c := agenttest.Start(t)
	h := &handler{result: &cofferv1.JobResult{JobId: "j", Attempt: 1, Epoch: 1, Outcome: cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED}, acked: make(chan struct{})}
	s := session.New(dialer(t, c), session.Options{AgentVersion: "t", ResendInterval: 200 * time.Millisecond})
	runSession(t, s, h)
	conn := c.NextConn(t, 10*time.Second)
	for i := range 3 {
		conn.Expect(t, 2*time.Second, "result (send "+string(rune('1'+i))+")", agenttest.IsResult("j"))
	}
	if !s.Connected() {
		t.Fatal("Connected() false on a live stream")
	}
	conn.Send(agenttest.Ack(h.result))
	select {
	case <-h.acked:
	case <-time.After(5 * time.Second):
		t.Fatal("ack not delivered to the handler")
	}
	// Drain what was in flight, then no more results.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		conn.Next(50 * time.Millisecond)
	}
	deadline = time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if m := conn.Next(50 * time.Millisecond); m.GetResult() != nil {
			t.Fatal("result resent after its ack")
		}
	}
}

func TestSendWithoutStreamReportsFalse(t *testing.T) {
	t.Parallel()
	s := session.New(func() (cofferv1.AgentChannelServiceClient, func() error, error) {
		return nil, nil, errors.New("unused")
	}, session.Options{})
	if s.Send(&cofferv1.ConnectRequest{}) || s.Connected() {
		t.Fatal("Send succeeded with no stream")
	}
}

func TestWelcomeTimeoutReconnects(t *testing.T) {
	t.Parallel()
	// A controller that takes the hello and never answers: the session
	// gives up after HelloTimeout and tries again.
	c := agenttest.Start(t)
	c.Hang.Store(true)
	s := session.New(dialer(t, c), session.Options{
		HelloTimeout: 300 * time.Millisecond,
		Backoff:      session.Backoff{Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond},
	})
	runSession(t, s, &handler{acked: make(chan struct{})})
	deadline := time.Now().Add(10 * time.Second)
	for c.Hellos.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d hellos in 10s: the session waits forever for a welcome", c.Hellos.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.Connected() {
		t.Fatal("Connected() without a welcome")
	}
}
