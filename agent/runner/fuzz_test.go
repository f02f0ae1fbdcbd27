package runner

import (
	"testing"

	"google.golang.org/protobuf/proto"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// FuzzDecodeResult feeds stored-result bytes (read back from the agent's
// data directory) to the decoder: it must never panic, and what it accepts
// names an attempt.
func FuzzDecodeResult(f *testing.F) {
	good, _ := proto.Marshal(&cofferv1.JobResult{JobId: "j", Attempt: 1, Epoch: 2, Outcome: cofferv1.JobOutcome_JOB_OUTCOME_SUCCEEDED})
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0xff})
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := decodeResult(raw)
		if err == nil && (res.GetJobId() == "" || res.GetOutcome() == cofferv1.JobOutcome_JOB_OUTCOME_UNSPECIFIED) {
			t.Fatalf("accepted a result without job or outcome: %v", res)
		}
	})
}
