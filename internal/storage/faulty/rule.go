package faulty

import (
	"errors"
	"strings"
	"time"
)

// Op names a Backend operation.
type Op string

// The operations a Rule can target; AnyOp matches all of them.
const (
	AnyOp    Op = ""
	OpSave   Op = "save"
	OpOpen   Op = "open"
	OpStat   Op = "stat"
	OpList   Op = "list"
	OpRemove Op = "remove"
)

// Fault is what happens to an affected call.
type Fault int

const (
	// Fail returns Err without calling the inner backend.
	Fail Fault = iota
	// FailAfterBytes lets Bytes bytes through and then fails with Err: a
	// Save's inner backend gets a reader that errors (the object must not
	// appear), an Open's stream errors, a List fails after Bytes objects.
	FailAfterBytes
	// FlipBit flips the lowest bit of the object byte at offset Bytes in
	// Open's stream (when the requested range includes it).
	FlipBit
	// Delay waits Delay before the call proceeds; cancelling the context
	// ends the wait with the context's error.
	Delay
)

// ErrInjected is the default error of a rule: transient, so the retry
// wrapper retries it.
var ErrInjected = errors.New("faulty: injected fault")

// Rule selects calls and says what fault they get.
type Rule struct {
	Op     Op     // operation to match; AnyOp matches all
	Prefix string // object name prefix to match; List matches its prefix argument
	// Nth is the first affected matching call, counting from 1 (0 means 1);
	// Count is how many consecutive matching calls are affected from there
	// (0 means all later ones). Nth: 3, Count: 1 fails only the third call.
	Nth, Count int

	Fault Fault
	Err   error         // error to inject; nil means ErrInjected
	Bytes int64         // for FailAfterBytes and FlipBit
	Delay time.Duration // for Delay
}

// rule is a Rule with its count of matching calls.
type rule struct {
	Rule
	matched int
}

// hit counts a call and reports whether it is affected.
func (r *rule) hit(op Op, name string) bool {
	if (r.Op != AnyOp && r.Op != op) || !strings.HasPrefix(name, r.Prefix) {
		return false
	}
	r.matched++
	first := max(r.Nth, 1)
	return r.matched >= first && (r.Count == 0 || r.matched < first+r.Count)
}

func (r *rule) err() error {
	if r.Err == nil {
		return ErrInjected
	}
	return r.Err
}
