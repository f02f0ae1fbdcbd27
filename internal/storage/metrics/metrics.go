package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the collectors shared by every wrapped backend.
type Metrics struct {
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	uploaded   *prometheus.CounterVec
	downloaded *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	now        func() time.Time
}

// Option configures Metrics.
type Option func(*Metrics)

// WithClock sets the clock used to measure latency (default time.Now).
func WithClock(now func() time.Time) Option { return func(m *Metrics) { m.now = now } }

var labels = []string{"backend", "op"}

// New creates the collectors and registers them on reg. Calling New again
// with the same registry reuses the registered collectors.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_storage_requests_total",
			Help: "Storage operations started, by backend and operation.",
		}, labels),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_storage_errors_total",
			Help: "Storage operations that failed, by backend and operation. Not-found answers and cancellations by the caller are not counted.",
		}, labels),
		uploaded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_storage_uploaded_bytes_total",
			Help: "Bytes sent to storage by Save, including those of failed saves.",
		}, labels),
		downloaded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_storage_downloaded_bytes_total",
			Help: "Bytes read from storage through Open.",
		}, labels),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coffer_storage_request_duration_seconds",
			Help:    "Duration of storage operations: Save until stored, Open until the stream is ready, List until it returns.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 17), // 1 ms to about 65 s
		}, labels),
		now: time.Now,
	}
	for _, o := range opts {
		o(m)
	}
	var err error
	m.requests = register(reg, m.requests, &err)
	m.errors = register(reg, m.errors, &err)
	m.uploaded = register(reg, m.uploaded, &err)
	m.downloaded = register(reg, m.downloaded, &err)
	m.latency = register(reg, m.latency, &err)
	if err != nil {
		return nil, fmt.Errorf("register storage metrics: %w", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name; it records the first other failure in *errp.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	if err != nil && *errp == nil {
		*errp = err
	}
	return c
}
