package metrics_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/metrics"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return m.Wrap(mem.New(), "mem")
	}, storagetest.Options{ObjectCount: 200, LargeObjectSize: 2 << 20})
}

// value returns the metric with the given name and labels from reg.
func value(t *testing.T, reg *prometheus.Registry, name, backend, op string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["backend"] == backend && l["op"] == op {
				return m
			}
		}
	}
	return nil
}

func counter(t *testing.T, reg *prometheus.Registry, name, backend, op string) float64 {
	t.Helper()
	m := value(t, reg, name, backend, op)
	if m == nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

func TestCountsRequestsBytesAndErrors(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	inner := faulty.New(mem.New(), faulty.Rule{Op: faulty.OpRemove, Prefix: "locked/"})
	be := m.Wrap(inner, "primary")
	ctx := t.Context()

	data := bytes.Repeat([]byte("x"), 1000)
	for i := range 3 {
		if err := be.Save(ctx, "data/"+string(rune('a'+i)), bytes.NewReader(data), 1000); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := be.Open(ctx, "data/a", 100, 500)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := be.Stat(ctx, "missing"); !storage.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := be.Save(ctx, "locked/x", strings.NewReader("y"), 1); err != nil {
		t.Fatal(err)
	}
	if err := be.Remove(ctx, "locked/x"); !errors.Is(err, faulty.ErrInjected) {
		t.Fatal(err)
	}
	if err := be.List(ctx, "data/", func(storage.ObjectInfo) error { return nil }); err != nil {
		t.Fatal(err)
	}

	checks := []struct {
		metric, op string
		want       float64
	}{
		{"coffer_storage_requests_total", "save", 4},
		{"coffer_storage_requests_total", "open", 1},
		{"coffer_storage_requests_total", "stat", 1},
		{"coffer_storage_requests_total", "remove", 1},
		{"coffer_storage_requests_total", "list", 1},
		{"coffer_storage_uploaded_bytes_total", "save", 3001},
		{"coffer_storage_downloaded_bytes_total", "open", 500},
		{"coffer_storage_errors_total", "remove", 1},
		{"coffer_storage_errors_total", "stat", 0}, // not-found is an answer, not an error
		{"coffer_storage_errors_total", "save", 0},
	}
	for _, c := range checks {
		if got := counter(t, reg, c.metric, "primary", c.op); got != c.want {
			t.Errorf("%s{op=%q} = %v, want %v", c.metric, c.op, got, c.want)
		}
	}
}

func TestStreamErrorsCountOnce(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	inner := mem.New()
	if err := inner.Save(t.Context(), "obj", bytes.NewReader(make([]byte, 100)), 100); err != nil {
		t.Fatal(err)
	}
	be := m.Wrap(faulty.New(inner, faulty.Rule{Op: faulty.OpOpen, Fault: faulty.FailAfterBytes, Bytes: 40}), "s")
	rc, err := be.Open(t.Context(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(rc)
	_, _ = rc.Read(make([]byte, 10)) // a second failing read
	rc.Close()
	if got := counter(t, reg, "coffer_storage_errors_total", "s", "open"); got != 1 {
		t.Errorf("errors{op=open} = %v, want 1", got)
	}
	if got := counter(t, reg, "coffer_storage_downloaded_bytes_total", "s", "open"); got != 40 {
		t.Errorf("downloaded = %v, want 40", got)
	}
}

func TestLatencyUsesInjectedClock(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Unix(0, 0)
	clock := func() time.Time { // every reading is 250 ms after the previous
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(250 * time.Millisecond)
		return now
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	be := m.Wrap(mem.New(), "b")
	for range 2 {
		_, _ = be.Stat(t.Context(), "x")
	}
	h := value(t, reg, "coffer_storage_request_duration_seconds", "b", "stat").GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 0.5 {
		t.Errorf("latency histogram: count %d sum %v, want 2 and 0.5", h.GetSampleCount(), h.GetSampleSum())
	}
}

func TestSharedRegistryAndBackendLabels(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m1, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := metrics.New(reg) // same registry again: collectors are reused
	if err != nil {
		t.Fatalf("second New on one registry: %v", err)
	}
	a, b := m1.Wrap(mem.New(), "a"), m2.Wrap(mem.New(), "b")
	_, _ = a.Stat(t.Context(), "x")
	_, _ = b.Stat(t.Context(), "x")
	_, _ = b.Stat(t.Context(), "x")
	if got := counter(t, reg, "coffer_storage_requests_total", "a", "stat"); got != 1 {
		t.Errorf("a: %v requests, want 1", got)
	}
	if got := counter(t, reg, "coffer_storage_requests_total", "b", "stat"); got != 2 {
		t.Errorf("b: %v requests, want 2", got)
	}
	if n, err := testutil.GatherAndCount(reg, "coffer_storage_requests_total"); err != nil || n != 2 {
		t.Errorf("request series: %d (%v), want 2", n, err)
	}
	// Nothing lands on the global registry.
	if n, _ := testutil.GatherAndCount(prometheus.DefaultGatherer, "coffer_storage_requests_total"); n != 0 {
		t.Errorf("default registry has %d coffer series", n)
	}
}
