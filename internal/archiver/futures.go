package archiver

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cofferhq/coffer/internal/repo"
)

// fileFuture completes when every chunk of a file has been saved. pending
// starts at one for the reader, which releases it at end of file.
type fileFuture struct {
	node    *repo.Node
	pending atomic.Int64
	done    chan struct{}

	mu      sync.Mutex
	content []repo.ID
	err     error
}

func newFileFuture(n *repo.Node) *fileFuture {
	f := &fileFuture{node: n, done: make(chan struct{})}
	f.pending.Store(1)
	return f
}

// addChunk reserves the next slot of the content list.
func (f *fileFuture) addChunk() int {
	f.pending.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.content = append(f.content, repo.ID{})
	return len(f.content) - 1
}

// finish records one chunk's (or the reader's) outcome.
func (f *fileFuture) finish(idx int, id repo.ID, err error) {
	f.mu.Lock()
	if idx >= 0 {
		f.content[idx] = id
	}
	if err != nil && f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
	if f.pending.Add(-1) == 0 {
		close(f.done)
	}
}

// wait blocks until the file is saved and moves the content into its node.
func (f *fileFuture) wait(ctx context.Context) error {
	select {
	case <-f.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.node.Content = f.content
	return nil
}

// treeFuture completes when a directory's tree blob is saved.
type treeFuture struct {
	done chan struct{}
	id   repo.ID
	err  error
}

func (t *treeFuture) wait(ctx context.Context) (repo.ID, error) {
	select {
	case <-t.done:
		return t.id, t.err
	case <-ctx.Done():
		return repo.ID{}, ctx.Err()
	}
}

// entry is one child of a directory being assembled.
type entry struct {
	node *repo.Node
	file *fileFuture // set for files being read
	sub  *treeFuture // set for subdirectories
}

// dirJob asks the tree saver to assemble one directory once its entries are done.
type dirJob struct {
	entries []entry
	result  *treeFuture
}
