package enroll

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/pki"
)

// Request is one enrollment.
type Request struct {
	// Addr is the controller's gRPC address, HOST:PORT.
	Addr string
	// ServerName overrides the name checked in the controller's
	// certificate; default the host of Addr.
	ServerName string
	// Token is the single-use join token from `coffer agent token create`.
	Token string
	// Trust verifies the controller; when empty, the CA pin inside the
	// join token is used.
	Trust Trust
	// Name is the requested agent name (the token's name wins); Hostname
	// and Version are reported to the controller.
	Name, Hostname, Version string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// RefusedError means the controller refused the enrollment or renewal,
// e.g. a join token that was already used or has expired. Retrying with the
// same input cannot succeed.
type RefusedError struct {
	Code    codes.Code
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused by the controller (%s): %s", e.Code, e.Message)
}

// UntrustedError means the controller's certificate failed verification
// against the configured CA or fingerprint.
type UntrustedError struct{ Err error }

func (e *UntrustedError) Error() string { return e.Err.Error() }
func (e *UntrustedError) Unwrap() error { return e.Err }

// UnreachableError means the controller could not be reached or failed
// to answer; enrollment may succeed later.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

// IsPermanent reports whether retrying err cannot help: everything except
// an unreachable controller (a refused token, an untrusted controller, bad
// settings, a data directory that cannot be written).
func IsPermanent(err error) bool {
	var u *UnreachableError
	return err != nil && !errors.As(err, &u)
}

// Enroll generates a key, sends a CSR with the join token and stores the
// identity the controller returns.
func (s Store) Enroll(ctx context.Context, req Request) (*Identity, error) {
	if req.Token == "" {
		return nil, errors.New("no join token: create one with `coffer agent token create` and pass --join-token")
	}
	now := req.Now
	if now == nil {
		now = time.Now
	}
	serverName := req.ServerName
	if serverName == "" {
		serverName = ServerName(req.Addr)
	}
	trust := req.Trust
	if len(trust.CAPEM) == 0 && trust.Fingerprint == "" && strings.HasPrefix(req.Token, "cjt1.") {
		// Join tokens minted by the controller carry its CA pin.
		tok, err := pki.ParseJoinToken(req.Token)
		if err != nil {
			return nil, fmt.Errorf("%w (copy the whole token printed by `coffer agent token create`)", err)
		}
		trust.Fingerprint = hex.EncodeToString(tok.CAPin)
	}
	tlsCfg, v, err := trust.enrollTLS(serverName)
	if err != nil {
		return nil, err
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	csr, err := newCSR(key, req.Name)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(req.Addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	if err != nil {
		return nil, fmt.Errorf("dial controller %s: %w", req.Addr, err)
	}
	defer conn.Close()
	resp, err := cofferv1.NewEnrollmentServiceClient(conn).Enroll(ctx, &cofferv1.EnrollRequest{
		JoinToken: req.Token,
		CsrPem:    csr,
		Hostname:  req.Hostname,
		Name:      req.Name,
		Version:   req.Version,
	})
	if err != nil {
		return nil, classify(req.Addr, v, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(resp.GetAgentId(), keyPEM, resp.GetCertificatePem(), resp.GetCaPem(), now())
	if err != nil {
		return nil, fmt.Errorf("enrollment answer: %w", err)
	}
	if err := s.save(id.AgentID, req.Addr, keyPEM, resp.GetCertificatePem(), resp.GetCaPem()); err != nil {
		return nil, err
	}
	return id, nil
}

// classify turns an RPC error into RefusedError, UntrustedError or a
// plain (retryable) error.
func classify(addr string, v *verifier, err error) error {
	if verr := v.failed(); verr != nil {
		return &UntrustedError{Err: fmt.Errorf("controller %s: %w", addr, verr)}
	}
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.PermissionDenied, codes.Unauthenticated, codes.InvalidArgument, codes.FailedPrecondition, codes.NotFound:
		return &RefusedError{Code: st.Code(), Message: st.Message()}
	}
	return &UnreachableError{Err: fmt.Errorf("controller %s: %w", addr, err)}
}
