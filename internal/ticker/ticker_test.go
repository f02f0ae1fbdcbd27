package ticker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartTicksUntilStopped(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	stop := Start(context.Background(), time.Millisecond, func() { n.Add(1) })
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no ticks within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	stop() // idempotent
	after := n.Load()
	time.Sleep(20 * time.Millisecond)
	if n.Load() != after {
		t.Fatal("ticked after stop returned")
	}
}
