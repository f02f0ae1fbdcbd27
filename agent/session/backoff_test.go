package session

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithJitterUpToMax(t *testing.T) {
	t.Parallel()
	next := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}.Sequence()
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, w := range want {
		w *= time.Millisecond
		if d := next(); d < w/2 || d > w {
			t.Fatalf("delay %d = %s, want in [%s, %s]", i, d, w/2, w)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	t.Parallel()
	b := Backoff{}.withDefaults()
	if b.Initial != time.Second || b.Max != time.Minute || b.StableAfter != 30*time.Second {
		t.Fatalf("defaults %+v", b)
	}
}
