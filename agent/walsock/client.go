package walsock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// ErrAgentDown means no agent accepted the connection within the connect
// timeout (socket missing, refused, or nobody answering): the request
// never reached an agent, so the caller can do the work itself.
var ErrAgentDown = errors.New("no agent is listening on the WAL socket")

// ErrAgentLost means the connection broke after the request was sent:
// the agent may or may not have done the work. Pushes are idempotent, so
// repeating one (directly) is safe.
var ErrAgentLost = errors.New("lost the agent during the request")

// Client talks to an agent's WAL socket.
type Client struct {
	conn *grpc.ClientConn
	svc  cofferv1.WalSocketServiceClient
}

// Dial connects to the agent at path, waiting at most timeout for the
// connection to be ready; ErrAgentDown (wrapped) when it is not.
func Dial(ctx context.Context, path string, timeout time.Duration) (*Client, error) {
	conn, err := grpc.NewClient("passthrough:///walsock",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage), grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		return nil, fmt.Errorf("wal socket %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready {
			break
		}
		// A missing or refused socket goes to TRANSIENT_FAILURE at once:
		// no point waiting out the timeout.
		if s == connectivity.TransientFailure || s == connectivity.Shutdown || !conn.WaitForStateChange(ctx, s) {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", path, ErrAgentDown)
		}
	}
	return &Client{conn: conn, svc: cofferv1.NewWalSocketServiceClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Push hands one WAL file to the agent.
func (c *Client) Push(ctx context.Context, req *cofferv1.PushWalRequest) (*cofferv1.PushWalResponse, error) {
	res, err := c.svc.PushWal(ctx, req)
	return res, callErr(err)
}

// Fetch asks the agent for one archived WAL file.
func (c *Client) Fetch(ctx context.Context, req *cofferv1.FetchWalRequest) ([]byte, error) {
	res, err := c.svc.FetchWal(ctx, req)
	if err != nil {
		return nil, callErr(err)
	}
	return res.GetData(), nil
}

// callErr tells transport failures (ErrAgentLost) from the agent's
// answers (*AgentError).
func callErr(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.Unavailable, codes.Canceled:
		return fmt.Errorf("%w: %s", ErrAgentLost, st.Message())
	}
	return fromStatus(st)
}
