package ticker

import (
	"context"
	"sync"
	"time"
)

// Start calls tick every interval until ctx ends or the returned stop is
// called. stop waits for a running tick to return, so nothing is reported
// after it; calling it more than once is fine.
func Start(ctx context.Context, interval time.Duration, tick func()) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				tick()
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}
