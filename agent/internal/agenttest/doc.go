// Package agenttest is test support for the agent: a throwaway CA and a
// small, real implementation of the controller's EnrollmentService and
// AgentChannelService served over mTLS on a loopback port. It is a test
// double beside the real controller (whose end-to-end tests drive the
// agent against the real dispatcher); it lets agent tests observe and
// steer the channel protocol message by message.
package agenttest
