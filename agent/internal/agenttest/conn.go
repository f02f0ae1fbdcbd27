package agenttest

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Conn is one accepted Connect stream.
type Conn struct {
	AgentID string
	// CertSerial is the serial of the client certificate of the stream.
	CertSerial string
	Hello      *cofferv1.AgentHello
	// Opened is when the hello arrived.
	Opened time.Time

	msgs chan *cofferv1.ConnectRequest
	out  chan *cofferv1.ConnectResponse
	drop chan struct{}
	done chan struct{}
}

// Connect implements AgentChannelService.Connect.
func (c *Controller) Connect(stream cofferv1.AgentChannelService_ConnectServer) error {
	id, err := c.agentID(stream.Context())
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil {
		return status.Error(codes.InvalidArgument, "first message must be a hello")
	}
	c.Hellos.Add(1)
	if c.Hang.Load() {
		<-stream.Context().Done()
		return stream.Context().Err()
	}
	if hello.GetProtocolVersion() < c.MinProtocol {
		return status.Errorf(codes.FailedPrecondition, "agent protocol %d is older than the minimum %d: upgrade the agent", hello.GetProtocolVersion(), c.MinProtocol)
	}
	conn := &Conn{
		AgentID: id, CertSerial: peerSerial(stream.Context()), Hello: hello, Opened: time.Now(),
		msgs: make(chan *cofferv1.ConnectRequest, 4096),
		out:  make(chan *cofferv1.ConnectResponse, 256),
		drop: make(chan struct{}),
		done: make(chan struct{}),
	}
	defer close(conn.done)
	err = stream.Send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Welcome{Welcome: &cofferv1.ControllerWelcome{
		AgentId: id, ControllerVersion: "test", ProtocolVersion: 1,
		HeartbeatIntervalSeconds: c.HeartbeatSeconds, ProgressIntervalSeconds: c.ProgressSeconds,
		ServerTime: timestamppb.Now(),
	}}})
	if err != nil {
		return err
	}
	for _, rj := range hello.GetRunningJobs() {
		reply := Reattached(rj)
		if c.Reattach != nil {
			reply = c.Reattach(rj)
		}
		if reply != nil {
			if err := stream.Send(reply); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	c.accepted++
	c.mu.Unlock()
	c.conns <- conn
	recvErr := make(chan error, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				recvErr <- err
				return
			}
			if r := m.GetResult(); r != nil && c.AutoAck.Load() {
				conn.Send(Ack(r))
			}
			conn.msgs <- m
		}
	}()
	beat := time.NewTicker(time.Duration(max(c.HeartbeatSeconds, 1)) * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-beat.C:
			if c.Mute.Load() {
				continue
			}
			hb := &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Heartbeat{Heartbeat: &cofferv1.Heartbeat{SentAt: timestamppb.Now()}}}
			if err := stream.Send(hb); err != nil {
				return err
			}
		case m := <-conn.out:
			if err := stream.Send(m); err != nil {
				return err
			}
		case <-conn.drop:
			return status.Error(codes.Unavailable, "test controller dropped the stream")
		case err := <-recvErr:
			return err
		}
	}
}

// NextConn waits for the next accepted stream.
func (c *Controller) NextConn(t testing.TB, timeout time.Duration) *Conn {
	t.Helper()
	select {
	case conn := <-c.conns:
		return conn
	case <-time.After(timeout):
		t.Fatalf("no agent connected within %s", timeout)
		return nil
	}
}

// Send queues a message to the agent.
func (conn *Conn) Send(m *cofferv1.ConnectResponse) {
	select {
	case conn.out <- m:
	case <-conn.done:
	}
}

// Drop ends the stream from the controller's side.
func (conn *Conn) Drop() {
	select {
	case conn.drop <- struct{}{}:
	case <-conn.done:
	}
}

// Done is closed when the stream has ended.
func (conn *Conn) Done() <-chan struct{} { return conn.done }

// Expect returns the next message that matches, skipping others, or fails
// the test after timeout.
func (conn *Conn) Expect(t testing.TB, timeout time.Duration, what string, match func(*cofferv1.ConnectRequest) bool) *cofferv1.ConnectRequest {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-conn.msgs:
			if match(m) {
				return m
			}
		case <-deadline.C:
			t.Fatalf("agent %s sent no %s within %s", conn.AgentID, what, timeout)
			return nil
		}
	}
}

// Next returns the next message of any kind, or nil after timeout.
func (conn *Conn) Next(timeout time.Duration) *cofferv1.ConnectRequest {
	select {
	case m := <-conn.msgs:
		return m
	case <-time.After(timeout):
		return nil
	}
}

func peerSerial(ctx context.Context) string {
	p, _ := peer.FromContext(ctx)
	if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
		return ti.State.PeerCertificates[0].SerialNumber.Text(16)
	}
	return ""
}
