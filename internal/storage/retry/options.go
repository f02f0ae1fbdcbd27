package retry

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Options configures the retry policy. Zero fields take the defaults.
type Options struct {
	MaxAttempts  int           // attempts in total, including the first (default 10)
	MaxElapsed   time.Duration // no retry would start after this much time (default 5m)
	InitialDelay time.Duration // delay before the second attempt (default 500ms)
	MaxDelay     time.Duration // cap on one delay before jitter (default 30s)
	Multiplier   float64       // growth per attempt (default 2)
	// Jitter spreads each delay uniformly over ±Jitter of its value, so
	// many clients do not retry in lockstep (default 0.5; negative: none).
	Jitter float64
	// BufferLimit is how many bytes of a Save reader that is neither an
	// io.Seeker nor an io.ReaderAt are buffered to allow retries (default
	// 8 MiB; negative: never buffer, such saves are attempted once).
	BufferLimit int64

	Logger *slog.Logger                               // default slog.Default()
	Now    func() time.Time                           // default time.Now
	Sleep  func(context.Context, time.Duration) error // default: a timer that honours ctx
	Rand   func() float64                             // in [0, 1); default math/rand/v2
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 5 * time.Minute
	}
	if o.InitialDelay <= 0 {
		o.InitialDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 30 * time.Second
	}
	if o.Multiplier < 1 {
		o.Multiplier = 2
	}
	if o.Jitter == 0 {
		o.Jitter = 0.5
	}
	if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.BufferLimit == 0 {
		o.BufferLimit = 8 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// delay returns the wait before attempt n+1, after n failed attempts.
func (o Options) delay(n int) time.Duration {
	d := float64(o.InitialDelay)
	for i := 1; i < n && d < float64(o.MaxDelay); i++ {
		d *= o.Multiplier
	}
	d = min(d, float64(o.MaxDelay))
	d *= 1 - o.Jitter + 2*o.Jitter*o.Rand()
	return time.Duration(d)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
