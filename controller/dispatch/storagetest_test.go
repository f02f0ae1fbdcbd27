package dispatch_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	ct "github.com/cofferhq/coffer/controller/internal/controllertest"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

type locationView struct{ ID, URL string }

func (w world) location(t *testing.T) locationView {
	t.Helper()
	var out struct{ StorageLocations []locationView }
	w.c.MustDo(t, "GET", "/api/storage-locations", nil).Decode(t, &out)
	return out.StorageLocations[0]
}

func TestStorageTestNeedsAConnectedAgent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.location(t)
	r := w.c.Do(t, "POST", "/api/storage-locations/"+loc.ID+"/test", map[string]any{})
	if r.Status != http.StatusBadRequest || r.Error == nil || r.Error.Code != "FAILED_PRECONDITION" ||
		!strings.Contains(r.Error.Message, "not connected") || r.Field() != "agentId" {
		t.Fatalf("test without a connected agent: status %d %s", r.Status, r.Raw)
	}
	if r := w.c.Do(t, "POST", "/api/storage-locations/nope/test", map[string]any{}); r.Status != http.StatusNotFound {
		t.Fatalf("unknown location: status %d %s", r.Status, r.Raw)
	}
	w.c.Enroll(t, "db2")
	if r := w.c.Do(t, "POST", "/api/storage-locations/"+loc.ID+"/test", map[string]any{}); r.Status != http.StatusBadRequest || r.Field() != "agentId" {
		t.Fatalf("two agents, none named: status %d %s", r.Status, r.Raw)
	}
}

// The controller sends the request on the agent's channel (credentials,
// no key material) and answers the API call with the agent's steps.
func TestStorageTestRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.location(t)
	ch := w.c.Open(t, w.tls, nil)
	if m := ch.Expect(wait); m.GetWelcome() == nil {
		t.Fatalf("want the welcome, got %v", m)
	}
	// Stray and foreign answers are ignored.
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_StorageTestResult{StorageTestResult: &cofferv1.StorageTestResult{RequestId: "nobody"}}})
	done := make(chan ct.Response, 1)
	go func() {
		done <- w.c.Do(t, "POST", "/api/storage-locations/"+loc.ID+"/test", map[string]any{"agentId": w.agentID})
	}()
	var req *cofferv1.StorageTestRequest
	for req == nil {
		req = ch.Expect(wait).GetStorageTest()
	}
	repo := req.GetRepository()
	if repo.GetUrl() != loc.URL || repo.GetStorageLocationId() != loc.ID || len(repo.GetKeyMaterial()) != 0 || repo.GetCredentials()["repositoryKey"] != "" {
		t.Fatalf("storage test request must name the location without the repository key: %v", repo)
	}
	steps := []*cofferv1.StorageTestStep{
		{Name: "write", Ok: true, DurationMs: 3}, {Name: "list", Ok: true}, {Name: "read", Ok: true}, {Name: "delete", Ok: false, Error: "remove coffer-test/x: denied"},
	}
	ch.Send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_StorageTestResult{StorageTestResult: &cofferv1.StorageTestResult{
		RequestId: req.GetRequestId(), Steps: steps,
	}}})
	r := <-done
	if r.Status != http.StatusOK {
		t.Fatalf("storage test: status %d %s", r.Status, r.Raw)
	}
	var out struct {
		OK      bool
		AgentID string
		Steps   []struct {
			Name, Error string
			OK          bool
			DurationMs  int
		}
	}
	r.Decode(t, &out)
	if out.OK || out.AgentID != w.agentID || len(out.Steps) != 4 || out.Steps[0].DurationMs != 3 ||
		out.Steps[3].Name != "delete" || out.Steps[3].OK || out.Steps[3].Error != "remove coffer-test/x: denied" {
		t.Fatalf("storage test answer %s", r.Raw)
	}
}

// An agent that drops its channel mid-test fails the call at once.
func TestStorageTestAgentDisconnects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.location(t)
	ch := w.c.Open(t, w.tls, nil)
	if m := ch.Expect(wait); m.GetWelcome() == nil { // registered: the call reaches this channel
		t.Fatalf("want the welcome, got %v", m)
	}
	done := make(chan ct.Response, 1)
	go func() { done <- w.c.Do(t, "POST", "/api/storage-locations/"+loc.ID+"/test", map[string]any{}) }()
	for ch.Expect(wait).GetStorageTest() == nil {
	}
	start := time.Now()
	ch.Close()
	r := <-done
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Raw, "disconnected") || time.Since(start) > wait {
		t.Fatalf("agent gone mid-test: status %d %s after %s", r.Status, r.Raw, time.Since(start))
	}
}
