package dispatch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cofferhq/coffer/controller/apierr"
	"github.com/cofferhq/coffer/controller/repos"
	"github.com/cofferhq/coffer/controller/sealer"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/catalog"
)

// storageTest is one storage test waiting for its agent's answer. It is
// kept in memory only: a synchronous diagnostic, not catalog state.
type storageTest struct {
	agentID string
	done    chan []*cofferv1.StorageTestStep // buffered, written once
}

// TestStorage has the agent try the location: write, list, read and
// delete a small object. A failed step is a normal result; errors mean the
// test could not run (unknown location, agent not connected, no answer
// within the configured timeout or before ctx ends).
func (d *Dispatcher) TestStorage(ctx context.Context, agentID, locationID string) ([]*cofferv1.StorageTestStep, error) {
	s := d.session(agentID)
	if s == nil {
		return nil, apierr.Precondition("agentId", "agent %s is not connected to the controller: start it (coffer agent) and try again", agentID)
	}
	spec, err := d.storageSpec(ctx, locationID)
	if err != nil {
		return nil, err
	}
	id := rand.Text()
	t := &storageTest{agentID: agentID, done: make(chan []*cofferv1.StorageTestStep, 1)}
	d.mu.Lock()
	d.tests[id] = t
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.tests, id)
		d.mu.Unlock()
	}()
	s.enqueue(&cofferv1.ConnectResponse{Message: &cofferv1.ConnectResponse_StorageTest{StorageTest: &cofferv1.StorageTestRequest{
		RequestId: id, Repository: spec,
	}}})
	timer := time.NewTimer(d.cfg.StorageTestTimeout)
	defer timer.Stop()
	select {
	case steps := <-t.done:
		return steps, nil
	case <-s.closeCh:
		return nil, status.Errorf(codes.Unavailable, "agent %s disconnected before it finished the storage test", agentID)
	case <-s.stream.Context().Done(): // the stream ended (Connect returned)
		return nil, status.Errorf(codes.Unavailable, "agent %s disconnected before it finished the storage test", agentID)
	case <-timer.C:
		return nil, status.Errorf(codes.DeadlineExceeded, "agent %s did not finish the storage test within %s", agentID, d.cfg.StorageTestTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// storageTested hands an agent's answer to the waiting TestStorage call;
// answers nobody waits for (late, or from another agent) are dropped.
func (d *Dispatcher) storageTested(agentID string, r *cofferv1.StorageTestResult) {
	d.mu.Lock()
	t := d.tests[r.GetRequestId()]
	d.mu.Unlock()
	if t == nil || t.agentID != agentID {
		d.log.Warn("storage test result nobody waits for ignored", "agent", agentID, "request", r.GetRequestId())
		return
	}
	select {
	case t.done <- r.GetSteps():
	default: // a duplicate answer
	}
}

// storageSpec is the location's RepositorySpec without key material: the
// storage test touches objects, not the repository.
func (d *Dispatcher) storageSpec(ctx context.Context, locationID string) (*cofferv1.RepositorySpec, error) {
	l, err := d.store.GetStorageLocation(ctx, locationID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, apierr.NotFound("id", "storage location", locationID)
	}
	if err != nil {
		return nil, err
	}
	creds, err := d.sealer.Open(sealer.StorageCredentials, l.Credentials)
	if err != nil {
		return nil, fmt.Errorf("storage location %s: %w", l.Name, err)
	}
	delete(creds, repos.KeyCredential)
	return &cofferv1.RepositorySpec{StorageLocationId: l.ID, Url: l.URL, Options: maps.Clone(l.Options), Credentials: creds}, nil
}
