package repo

import (
	"context"
	"testing"
	"time"
)

func TestRemoveSnapshot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	tree, err := r.SaveTree(ctx, &Tree{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	keep, err := r.SaveSnapshot(ctx, &Snapshot{Time: time.Unix(1, 0), Tree: tree, Paths: []string{"/a"}})
	if err != nil {
		t.Fatal(err)
	}
	drop, err := r.SaveSnapshot(ctx, &Snapshot{Time: time.Unix(2, 0), Tree: tree, Paths: []string{"/b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveSnapshot(ctx, drop); err != nil {
		t.Fatal(err)
	}
	list, err := reopen(t, be).ListSnapshots(ctx)
	if err != nil || len(list) != 1 || list[0].ID != keep {
		t.Fatalf("after removal: %v (%v), want only %s", list, err, keep.Short())
	}
	if err := r.RemoveSnapshot(ctx, drop); err != nil {
		t.Fatalf("removing an absent snapshot: %v, want success", err)
	}
}
