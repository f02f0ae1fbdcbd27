package limit

import (
	"context"
	"io"
	"time"

	"golang.org/x/time/rate"
)

// bandwidth is one direction's token bucket, shared by all its streams.
type bandwidth struct {
	lim   *rate.Limiter
	burst int
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newBandwidth(bytesPerSec int64, opts Options) *bandwidth {
	if bytesPerSec <= 0 {
		return nil
	}
	burst := opts.Burst
	if burst <= 0 {
		burst = int(min(max(bytesPerSec/10, 4<<10), 1<<20))
	}
	return &bandwidth{
		lim:   rate.NewLimiter(rate.Limit(bytesPerSec), burst),
		burst: burst,
		now:   opts.Now,
		sleep: opts.Sleep,
	}
}

// reader returns r limited by the bucket; a nil bandwidth is unlimited.
func (bw *bandwidth) reader(ctx context.Context, r io.Reader) io.Reader {
	if bw == nil {
		return r
	}
	return &limitedReader{ctx: ctx, r: r, bw: bw}
}

type limitedReader struct {
	ctx context.Context
	r   io.Reader
	bw  *bandwidth
}

// Read reads at most one burst and then waits until the bucket has paid
// for the bytes read, so the average rate stays at the limit.
func (l *limitedReader) Read(p []byte) (int, error) {
	if len(p) > l.bw.burst {
		p = p[:l.bw.burst]
	}
	n, err := l.r.Read(p)
	if n > 0 {
		if werr := l.bw.wait(l.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (bw *bandwidth) wait(ctx context.Context, n int) error {
	now := bw.now()
	res := bw.lim.ReserveN(now, n) // n <= burst, so always OK
	d := res.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := bw.sleep(ctx, d); err != nil {
		res.CancelAt(bw.now())
		return err
	}
	return nil
}
