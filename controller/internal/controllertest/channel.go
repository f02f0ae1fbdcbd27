package controllertest

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Channel is a test agent's open AgentChannelService stream: it speaks
// the protocol message by message so tests control every step. Like a
// real agent it answers each controller heartbeat, so a test that waits
// on a loaded machine is not dropped as a silent agent.
type Channel struct {
	t      testing.TB
	stream cofferv1.AgentChannelService_ConnectClient
	cancel context.CancelFunc
	in     chan recvd
	sendMu sync.Mutex // gRPC streams allow one sender at a time
}

type recvd struct {
	m   *cofferv1.ConnectResponse
	err error
}

// Open connects with cfg and sends hello (nil sends a default hello).
func (c *Controller) Open(t testing.TB, cfg *tls.Config, hello *cofferv1.AgentHello) *Channel {
	t.Helper()
	if hello == nil {
		hello = &cofferv1.AgentHello{AgentVersion: "test", ProtocolVersion: 1, Capabilities: []string{"source:files"}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := cofferv1.NewAgentChannelServiceClient(c.dial(t, cfg)).Connect(ctx)
	if err != nil {
		cancel()
		t.Fatalf("connect: %v", err)
	}
	ch := &Channel{t: t, stream: stream, cancel: cancel, in: make(chan recvd, 64)}
	t.Cleanup(ch.Close)
	go func() {
		for {
			m, err := stream.Recv()
			if m.GetHeartbeat() != nil {
				ch.sendMu.Lock()
				_ = stream.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Heartbeat{Heartbeat: &cofferv1.Heartbeat{}}})
				ch.sendMu.Unlock()
			}
			ch.in <- recvd{m, err}
			if err != nil {
				return
			}
		}
	}()
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Hello{Hello: hello}})
	return ch
}

// Close drops the stream, as a crashed agent would.
func (ch *Channel) Close() { ch.cancel() }

// Send sends one message.
func (ch *Channel) Send(m *cofferv1.ConnectRequest) {
	ch.t.Helper()
	ch.sendMu.Lock()
	err := ch.stream.Send(m)
	ch.sendMu.Unlock()
	if err != nil {
		ch.t.Fatalf("send: %v", err)
	}
}

// Next returns the next message that is not a heartbeat, or the error that
// ended the stream; the test fails after timeout.
func (ch *Channel) Next(timeout time.Duration) (*cofferv1.ConnectResponse, error) {
	ch.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case r := <-ch.in:
			if r.err != nil {
				return nil, r.err
			}
			if r.m.GetHeartbeat() != nil {
				continue
			}
			return r.m, nil
		case <-deadline:
			ch.t.Fatalf("no message from the controller within %s", timeout)
			return nil, nil
		}
	}
}

// TryNext is Next that reports false instead of failing on a timeout;
// a stream error fails the test.
func (ch *Channel) TryNext(timeout time.Duration) (*cofferv1.ConnectResponse, bool) {
	ch.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case r := <-ch.in:
			if r.err != nil {
				ch.t.Fatalf("stream ended: %v", r.err)
			}
			if r.m.GetHeartbeat() != nil {
				continue
			}
			return r.m, true
		case <-deadline:
			return nil, false
		}
	}
}

// Expect returns the next message, failing the test on a stream error.
func (ch *Channel) Expect(timeout time.Duration) *cofferv1.ConnectResponse {
	ch.t.Helper()
	m, err := ch.Next(timeout)
	if err != nil {
		ch.t.Fatalf("stream ended: %v", err)
	}
	return m
}

// Progress reports progress for an attempt.
func (ch *Channel) Progress(a *cofferv1.JobAssignment, seq, bytes int64) {
	ch.t.Helper()
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Progress{Progress: &cofferv1.JobProgressReport{
		JobId: a.GetJobId(), Attempt: a.GetAttempt(), Epoch: a.GetEpoch(), Sequence: seq,
		Progress: &cofferv1.JobProgress{Phase: cofferv1.JobPhase_JOB_PHASE_TRANSFERRING, BytesDone: bytes},
	}}})
}

// Accept acknowledges an assignment.
func (ch *Channel) Accept(a *cofferv1.JobAssignment) {
	ch.t.Helper()
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Accepted{Accepted: &cofferv1.JobAccepted{
		JobId: a.GetJobId(), Attempt: a.GetAttempt(), Epoch: a.GetEpoch(),
	}}})
}

// Finish sends a result for an attempt.
func (ch *Channel) Finish(jobID string, attempt int32, epoch int64, outcome cofferv1.JobOutcome, detail func(*cofferv1.JobResult)) {
	ch.t.Helper()
	r := &cofferv1.JobResult{JobId: jobID, Attempt: attempt, Epoch: epoch, Outcome: outcome}
	if detail != nil {
		detail(r)
	}
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_Result{Result: r}})
}
