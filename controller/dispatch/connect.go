package dispatch

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/auth"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// Connect implements AgentChannelService.Connect.
func (d *Dispatcher) Connect(stream cofferv1.AgentChannelService_ConnectServer) error {
	ctx := stream.Context()
	agentID, err := auth.AgentFromPeer(ctx)
	if err != nil {
		return err
	}
	agent, err := d.store.GetAgent(ctx, agentID)
	if errors.Is(err, catalog.ErrNotFound) {
		return apierr.Denied("agent %s is not enrolled", agentID)
	}
	if err != nil {
		return err
	}
	if agent.Revoked() {
		return apierr.Denied("agent %s (%s) was revoked", agent.Name, agentID)
	}
	s := newSession(d, agentID, stream)
	go s.receive()
	hello, err := s.hello(ctx)
	if err != nil {
		return err
	}
	now, err := d.store.Now(ctx)
	if err != nil {
		return err
	}
	caps := hello.GetCapabilities()
	if caps == nil {
		caps = []string{}
	}
	if err := d.store.TouchAgent(ctx, agentID, now, hello.GetAgentVersion(), caps); err != nil {
		return err
	}
	s.version = hello.GetAgentVersion()
	d.register(s)
	defer d.unregister(s)
	d.log.Info("agent connected", "agent", agentID, "name", agent.Name, "version", s.version, "running", len(hello.GetRunningJobs()))
	defer d.log.Info("agent disconnected", "agent", agentID)
	err = s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Welcome{Welcome: &cofferv1.ControllerWelcome{
		AgentId:                  agentID,
		ControllerVersion:        d.cfg.ControllerVersion,
		ProtocolVersion:          ProtocolVersion,
		HeartbeatIntervalSeconds: int32(d.cfg.HeartbeatInterval.Seconds()),
		ProgressIntervalSeconds:  1,
		ServerTime:               timestamppb.Now(),
	}}})
	if err != nil {
		return err
	}
	if err := s.reattach(ctx, hello.GetRunningJobs()); err != nil {
		return err
	}
	return s.loop(ctx)
}

// hello waits for the agent's hello and checks its protocol version.
func (s *session) hello(ctx context.Context) (*cofferv1.AgentHello, error) {
	timer := time.NewTimer(s.d.cfg.HelloTimeout)
	defer timer.Stop()
	var r received
	select {
	case r = <-s.in:
	case <-timer.C:
		return nil, apierr.Invalid("hello", "the agent sent no hello within %s", s.d.cfg.HelloTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		return nil, r.err
	}
	h := r.msg.GetHello()
	if h == nil {
		return nil, apierr.Invalid("hello", "the first message on the channel must be the agent's hello")
	}
	if min := s.d.cfg.MinProtocolVersion; h.GetProtocolVersion() < min {
		return nil, apierr.Precondition("protocolVersion",
			"agent %s speaks channel protocol %d but this controller (%s) requires at least %d: upgrade the agent",
			h.GetAgentVersion(), h.GetProtocolVersion(), s.d.cfg.ControllerVersion, min)
	}
	return h, nil
}

// reattach answers each attempt the agent still runs: keep going with a
// renewed lease, or stop.
func (s *session) reattach(ctx context.Context, jobs []*cofferv1.RunningJob) error {
	for _, rj := range jobs {
		ref := catalog.AttemptRef{JobID: rj.GetJobId(), Attempt: int(rj.GetAttempt()), Epoch: rj.GetEpoch(), AgentID: s.agentID}
		now, err := s.d.store.Now(ctx)
		if err != nil {
			return err
		}
		job, err := s.d.store.RenewLease(ctx, ref, now, s.d.cfg.LeaseTTL)
		if err != nil {
			if err := s.reject(ctx, ref, err); err != nil {
				return err
			}
			continue
		}
		s.running[job.ID] = &running{attempt: rj.GetAttempt(), epoch: rj.GetEpoch()}
		s.d.log.Info("attempt re-attached", "agent", s.agentID, "job", job.ID, "attempt", job.Attempt, "epoch", job.Epoch)
		if err := s.send(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Reattached{Reattached: &cofferv1.JobReattached{
			JobId: job.ID, Attempt: rj.GetAttempt(), Epoch: rj.GetEpoch(), LeaseExpiresAt: timestamppb.New(job.LeaseExpiresAt),
		}}}); err != nil {
			return err
		}
		if job.CancelRequested {
			if err := s.sendCancel(job.ID, s.running[job.ID], job.Error); err != nil {
				return err
			}
		}
	}
	return nil
}

func heartbeat() *cofferv1.Heartbeat { return &cofferv1.Heartbeat{SentAt: timestamppb.Now()} }
