package walsock

import (
	"context"
	"log/slog"
	"sync"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// ReporterOptions configure a Reporter.
type ReporterOptions struct {
	// Send delivers a message to the controller; false when the channel
	// is down (the report is sent again later).
	Send func(*cofferv1.ConnectRequest) bool
	// Debounce is how long after a push the archive is listed, so a burst
	// of segments gives one report (default 10 s).
	Debounce time.Duration
	// Interval is how often every known stream is reported anyway, so
	// segments removed from storage show as gaps (default 5 min).
	Interval time.Duration
	// Now is the clock for listed_at.
	Now func() time.Time
	Log *slog.Logger
}

// Reporter sends WalArchiveReports for the streams the socket has served.
type Reporter struct {
	opts ReporterOptions
	wake chan struct{}

	mu      sync.Mutex
	targets map[string]Target // by key + stream
	dirty   map[string]bool
}

// NewReporter returns a Reporter; Run runs it.
func NewReporter(opts ReporterOptions) *Reporter {
	if opts.Debounce <= 0 {
		opts.Debounce = 10 * time.Second
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Reporter{opts: opts, wake: make(chan struct{}, 1), targets: map[string]Target{}, dirty: map[string]bool{}}
}

// Pushed notes a push to t: its stream is reported after the debounce.
func (rp *Reporter) Pushed(t Target) {
	id := t.Key + "\x00" + t.Stream
	rp.mu.Lock()
	rp.targets[id] = t
	rp.dirty[id] = true
	rp.mu.Unlock()
	select {
	case rp.wake <- struct{}{}:
	default:
	}
}

// Run reports until ctx ends.
func (rp *Reporter) Run(ctx context.Context) {
	tick := time.NewTicker(rp.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			rp.markAll()
		case <-rp.wake:
			select { // debounce: collect the burst
			case <-ctx.Done():
				return
			case <-time.After(rp.opts.Debounce):
			}
		}
		rp.ReportDirty(ctx)
	}
}

func (rp *Reporter) markAll() {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for id := range rp.targets {
		rp.dirty[id] = true
	}
}

// ReportDirty lists and reports every stream pushed to since its last
// report. A stream whose report fails or cannot be sent stays due.
func (rp *Reporter) ReportDirty(ctx context.Context) {
	rp.mu.Lock()
	due := make(map[string]Target, len(rp.dirty))
	for id := range rp.dirty {
		due[id] = rp.targets[id]
		delete(rp.dirty, id)
	}
	rp.mu.Unlock()
	for id, t := range due {
		if !rp.report(ctx, t) {
			rp.mu.Lock()
			rp.dirty[id] = true
			rp.mu.Unlock()
		}
	}
}

func (rp *Reporter) report(ctx context.Context, t Target) bool {
	rep, err := BuildReport(ctx, t.Repo, t.Stream, t.Location, rp.opts.Now())
	if err != nil {
		rp.opts.Log.Warn("wal archive report: list the archive", "stream", t.Stream, "repository", t.Location, "err", err)
		return false
	}
	if !rp.opts.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_WalArchive{WalArchive: rep}}) {
		return false
	}
	rp.opts.Log.Debug("wal archive reported", "stream", t.Stream, "timelines", len(rep.GetTimelines()))
	return true
}

// ReportAll makes every known stream due now (after a reconnect).
func (rp *Reporter) ReportAll() {
	rp.markAll()
	select {
	case rp.wake <- struct{}{}:
	default:
	}
}
