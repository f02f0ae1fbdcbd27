package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestListAndFindSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var ids []ID
	for i, h := range []int{3, 1, 2} {
		id, err := r.SaveSnapshot(ctx, &Snapshot{Time: base.Add(time.Duration(h) * time.Hour), Hostname: string(rune('a' + i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	list, err := r.ListSnapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != ids[1] || list[1].ID != ids[2] || list[2].ID != ids[0] {
		t.Fatalf("not sorted by time: %v", list)
	}
	id, sn, err := r.FindSnapshot(ctx, "latest")
	if err != nil || id != ids[0] || sn.Hostname != "a" {
		t.Fatalf("latest: %v %v %v", id, sn, err)
	}
	id, _, err = r.FindSnapshot(ctx, ids[2].String())
	if err != nil || id != ids[2] {
		t.Fatalf("full ID: %v %v", id, err)
	}
	id, _, err = r.FindSnapshot(ctx, strings.ToUpper(ids[1].String()[:10]))
	if err != nil || id != ids[1] {
		t.Fatalf("prefix: %v %v", id, err)
	}
	if _, _, err := r.FindSnapshot(ctx, "abc"); err == nil || !strings.Contains(err.Error(), "at least 4") {
		t.Fatalf("short prefix: %v", err)
	}
	if _, _, err := r.FindSnapshot(ctx, "ffffffffffffffff0"); !errors.Is(err, ErrSnapshotNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	// Ambiguity: add snapshots until two share a 4-character prefix.
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id.String()[:4]] = true
	}
	var dup string
	for dup == "" {
		id, err := r.SaveSnapshot(ctx, &Snapshot{Time: base})
		if err != nil {
			t.Fatal(err)
		}
		if p := id.String()[:4]; seen[p] {
			dup = p
		} else {
			seen[p] = true
		}
	}
	if _, _, err := r.FindSnapshot(ctx, dup); !errors.Is(err, ErrAmbiguousSnapshot) {
		t.Fatalf("ambiguous prefix %s: %v", dup, err)
	}

	// A damaged snapshot: the others are still listed, the error names it.
	name := snapshotName(ids[1])
	data := readAll(t, be, name)
	data[len(data)-1] ^= 1
	overwrite(t, be, name, data)
	list, err = r.ListSnapshots(ctx)
	if !IsCorruption(err) || !strings.Contains(err.Error(), name) || len(list) < 2 {
		t.Fatalf("list with a damaged snapshot: %d entries, %v", len(list), err)
	}
	if _, _, err := r.FindSnapshot(ctx, "latest"); err == nil {
		t.Fatal("latest with a damaged snapshot must not silently pick another")
	}
}

func TestEmptyRepository(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	if _, _, err := r.FindSnapshot(ctx, "latest"); !errors.Is(err, ErrSnapshotNotFound) {
		t.Fatalf("latest in empty repo: %v", err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(objectNames(t, be, "index/")); n != 0 {
		t.Fatalf("empty flush wrote %d index objects", n)
	}
	stats, err := reopen(t, be).Check(ctx, CheckOptions{Subset: 0.5}, func(p Problem) { t.Errorf("problem %v", p) })
	if err != nil || stats.Packs != 0 {
		t.Fatalf("%+v %v", stats, err)
	}
}
