package agenttest

import (
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// Reattached answers a reported running job with JobReattached.
func Reattached(rj *cofferv1.RunningJob) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Reattached{Reattached: &cofferv1.JobReattached{
		JobId: rj.GetJobId(), Attempt: rj.GetAttempt(), Epoch: rj.GetEpoch(),
	}}}
}

// Ack acknowledges a result.
func Ack(r *cofferv1.JobResult) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_ResultAck{ResultAck: &cofferv1.JobResultAck{
		JobId: r.GetJobId(), Attempt: r.GetAttempt(), Epoch: r.GetEpoch(),
	}}}
}

// Assign wraps an assignment.
func Assign(a *cofferv1.JobAssignment) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Assignment{Assignment: a}}
}

// Cancel asks the agent to cancel an attempt.
func Cancel(jobID string, attempt int32, epoch int64) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Cancel{Cancel: &cofferv1.CancelJob{
		JobId: jobID, Attempt: attempt, Epoch: epoch, Reason: "test",
	}}}
}

// Abort disowns an attempt.
func Abort(jobID string, attempt int32, epoch int64, reason cofferv1.AbortReason) *cofferv1.ConnectResponse {
	return &cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_Abort{Abort: &cofferv1.AbortJob{
		JobId: jobID, Attempt: attempt, Epoch: epoch, Reason: reason, Message: "test abort",
	}}}
}

// IsResult matches a JobResult for jobID.
func IsResult(jobID string) func(*cofferv1.ConnectRequest) bool {
	return func(m *cofferv1.ConnectRequest) bool {
		return m.GetResult().GetJobId() == jobID && m.GetResult() != nil
	}
}

// IsProgress matches a JobProgressReport for jobID.
func IsProgress(jobID string) func(*cofferv1.ConnectRequest) bool {
	return func(m *cofferv1.ConnectRequest) bool {
		return m.GetProgress() != nil && m.GetProgress().GetJobId() == jobID
	}
}

// IsAccepted matches a JobAccepted for jobID.
func IsAccepted(jobID string) func(*cofferv1.ConnectRequest) bool {
	return func(m *cofferv1.ConnectRequest) bool {
		return m.GetAccepted() != nil && m.GetAccepted().GetJobId() == jobID
	}
}

// IsHeartbeat matches a heartbeat.
func IsHeartbeat(m *cofferv1.ConnectRequest) bool { return m.GetHeartbeat() != nil }
