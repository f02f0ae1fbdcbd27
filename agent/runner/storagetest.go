package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/storage"
)

// Storage test steps, in the order they run.
const (
	StepWrite  = "write"
	StepList   = "list"
	StepRead   = "read"
	StepDelete = "delete"
)

// StorageTestPrefix is where storage tests put their object.
const StorageTestPrefix = "coffer-test/"

// storageTestTimeout bounds one whole test on the agent, below the
// controller's wait so that a hung backend still produces an answer.
const storageTestTimeout = 50 * time.Second

// TestStorage runs the storage test in the background and sends its
// StorageTestResult. It is not a job: nothing is kept or resent.
func (r *Runner) TestStorage(req *cofferv1.StorageTestRequest) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(r.base, storageTestTimeout)
		defer cancel()
		steps := r.storageTest(ctx, req.GetRepository())
		failed := ""
		if last := steps[len(steps)-1]; !last.GetOk() {
			failed = last.GetName()
		}
		r.log.Info("storage test finished", slog.String("location", req.GetRepository().GetStorageLocationId()),
			slog.Int("steps", len(steps)), slog.String("failed_step", failed))
		r.send(&cofferv1.ConnectRequest{Message: &cofferv1.ConnectRequest_StorageTestResult{StorageTestResult: &cofferv1.StorageTestResult{
			RequestId: req.GetRequestId(), Steps: steps,
		}}})
	}()
}

// storageTest writes a random object under StorageTestPrefix, finds it by
// listing, reads it back, deletes it and checks it is gone. It stops at the
// first failed step; failing to open the storage fails the write step.
// The object is 1 KiB of random bytes under a random name, so concurrent
// tests of one location never collide.
func (r *Runner) storageTest(ctx context.Context, spec *cofferv1.RepositorySpec) []*cofferv1.StorageTestStep {
	var steps []*cofferv1.StorageTestStep
	step := func(name string, f func() error) bool {
		start := r.opts.Now()
		err := f()
		st := &cofferv1.StorageTestStep{Name: name, Ok: err == nil, DurationMs: int32(min(r.opts.Now().Sub(start).Milliseconds(), math.MaxInt32))}
		if err != nil {
			st.Error = err.Error()
		}
		steps = append(steps, st)
		return err == nil
	}
	var be storage.Backend
	defer func() {
		if be != nil {
			be.Close()
		}
	}()
	name := StorageTestPrefix + rand.Text()
	data := make([]byte, 1024)
	rand.Read(data)
	_ = step(StepWrite, func() error {
		if spec.GetUrl() == "" {
			return errors.New("the request names no storage URL")
		}
		if r.opts.OpenStorage == nil {
			return errors.New("this agent has no storage drivers configured")
		}
		var err error
		// Like a backup, create a missing local directory only for
		// locations the first backup may initialise.
		if be, err = r.opts.OpenStorage(ctx, spec, spec.GetOptions()[OptionInit] == "true"); err != nil {
			be = nil
			return fmt.Errorf("open storage: %w", err)
		}
		if err := be.Save(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
			return fmt.Errorf("save %s in %s: %w", name, be.Location(), err)
		}
		return nil
	}) && step(StepList, func() error {
		found := false
		err := be.List(ctx, StorageTestPrefix, func(o storage.ObjectInfo) error {
			found = found || o.Name == name
			return nil
		})
		if err != nil {
			return fmt.Errorf("list %s in %s: %w", StorageTestPrefix, be.Location(), err)
		}
		if !found {
			return fmt.Errorf("listing %s in %s does not show %s, which was just written", StorageTestPrefix, be.Location(), name)
		}
		return nil
	}) && step(StepRead, func() error {
		rc, err := be.Open(ctx, name, 0, -1)
		if err != nil {
			return fmt.Errorf("open %s in %s: %w", name, be.Location(), err)
		}
		defer rc.Close()
		got, err := io.ReadAll(io.LimitReader(rc, int64(len(data))+1))
		if err != nil {
			return fmt.Errorf("read %s in %s: %w", name, be.Location(), err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("read %s in %s: got %d bytes that differ from the %d written", name, be.Location(), len(got), len(data))
		}
		return nil
	}) && step(StepDelete, func() error {
		if err := be.Remove(ctx, name); err != nil {
			return fmt.Errorf("remove %s in %s: %w", name, be.Location(), err)
		}
		if _, err := be.Stat(ctx, name); !storage.IsNotExist(err) {
			return fmt.Errorf("%s in %s still exists after removal (stat: %v)", name, be.Location(), err)
		}
		return nil
	})
	return steps
}
