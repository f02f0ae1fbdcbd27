package catalogtest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

func testClock(t *testing.T, s catalog.Store) {
	a := now(t, s)
	b := now(t, s)
	if a.Location() != time.UTC || a.IsZero() {
		t.Fatalf("Now = %v, want a UTC time", a)
	}
	if !a.Equal(a.Truncate(time.Microsecond)) {
		t.Fatalf("Now = %v has sub-microsecond digits the stores cannot keep", a)
	}
	if b.Before(a) {
		t.Fatalf("database clock went backwards: %v then %v", a, b)
	}
	// The database runs on this machine in tests: its clock must be close.
	if d := time.Since(a); d > time.Minute || d < -time.Minute {
		t.Fatalf("database clock %v is %v away from the local clock", a, d)
	}
}
