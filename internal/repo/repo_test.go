package repo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage/mem"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	compressible := bytes.Repeat([]byte("coffer "), 10000)
	blobs := [][]byte{randomData(1, 1000), randomData(2, 50000), compressible, {}, randomData(3, 200000)}
	ids := saveData(t, r, blobs...)
	tree := &Tree{Nodes: []Node{{Name: []byte("b"), Type: NodeFile, Content: ids}, {Name: []byte("a"), Type: NodeDir}}}
	treeID, err := r.SaveTree(ctx, tree)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	snapTime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	snapID, err := r.SaveSnapshot(ctx, &Snapshot{Time: snapTime, Tree: treeID, Paths: []string{"/x"}})
	if err != nil {
		t.Fatal(err)
	}

	r2 := reopen(t, be)
	for i, id := range ids {
		got, err := r2.LoadBlob(ctx, DataBlob, id, nil)
		if err != nil {
			t.Fatalf("LoadBlob %d: %v", i, err)
		}
		if !bytes.Equal(got, blobs[i]) {
			t.Fatalf("blob %d differs", i)
		}
	}
	loc, ok := r2.LookupBlob(DataBlob, ids[2])
	if !ok || loc.RawLength != len(compressible) || loc.Length >= len(compressible)/10 {
		t.Fatalf("compressible blob location %+v: want raw %d and compressed well", loc, len(compressible))
	}
	gotTree, err := r2.LoadTree(ctx, treeID)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotTree.Nodes[0].Name) != "a" || string(gotTree.Nodes[1].Name) != "b" {
		t.Fatalf("tree not sorted by name: %q, %q", gotTree.Nodes[0].Name, gotTree.Nodes[1].Name)
	}
	if string(tree.Nodes[0].Name) != "b" {
		t.Fatal("SaveTree modified its argument")
	}
	sn, err := r2.LoadSnapshot(ctx, snapID)
	if err != nil {
		t.Fatal(err)
	}
	if !sn.Time.Equal(snapTime) || sn.Tree != treeID {
		t.Fatalf("snapshot %+v", sn)
	}
	if r2.Config().ID != r.Config().ID || r2.Config().Version != FormatVersion {
		t.Fatalf("config %+v vs %+v", r2.Config(), r.Config())
	}
	stats, err := r2.Check(ctx, CheckOptions{ReadData: true}, func(p Problem) { t.Errorf("unexpected problem: %v", p) })
	if err != nil {
		t.Fatal(err)
	}
	if stats.Snapshots != 1 || stats.Trees != 1 || stats.Blobs != len(blobs)+1 || stats.BytesRead == 0 {
		t.Fatalf("stats %+v", stats)
	}
}

func TestDedupAcrossSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	data := randomData(7, 300000)
	id := r.ChunkID(data)
	res, err := r.SaveBlob(ctx, DataBlob, id, data)
	if err != nil || res.Known || res.Stored < len(data) {
		t.Fatalf("first save: %+v, %v", res, err)
	}
	res, err = r.SaveBlob(ctx, DataBlob, id, data)
	if err != nil || !res.Known || res.Stored != 0 {
		t.Fatalf("second save in session: %+v, %v", res, err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	before := len(objectNames(t, be, "data/"))

	r2 := reopen(t, be)
	res, err = r2.SaveBlob(ctx, DataBlob, id, data)
	if err != nil || !res.Known || res.Stored != 0 {
		t.Fatalf("save in new session: %+v, %v", res, err)
	}
	if err := r2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if after := len(objectNames(t, be, "data/")); after != before {
		t.Fatalf("packs %d -> %d after a known blob", before, after)
	}
	// The same bytes as a tree blob are a different blob.
	if r2.HasBlob(TreeBlob, id) {
		t.Fatal("data blob reported as tree blob")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		_, err := Open(ctx, mem.New(), testKEK(t, 1))
		if !errors.Is(err, ErrRepoNotFound) {
			t.Fatalf("got %v, want ErrRepoNotFound", err)
		}
	})
	t.Run("exists", func(t *testing.T) {
		t.Parallel()
		_, be := newTestRepo(t)
		_, err := Init(ctx, be, testKEK(t, 1), InitOptions{})
		if !errors.Is(err, ErrRepoExists) {
			t.Fatalf("got %v, want ErrRepoExists", err)
		}
	})
	t.Run("wrong key file", func(t *testing.T) {
		t.Parallel()
		_, be := newTestRepo(t)
		_, err := Open(ctx, be, testKEK(t, 2))
		if !errors.Is(err, ErrWrongKey) {
			t.Fatalf("got %v, want ErrWrongKey", err)
		}
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		t.Parallel()
		be := mem.New()
		if _, err := Init(ctx, be, NewPassphraseKEKWithParams([]byte("right"), cheapKDF), InitOptions{}); err != nil {
			t.Fatal(err)
		}
		_, err := Open(ctx, be, NewPassphraseKEK([]byte("wrong")))
		if !errors.Is(err, ErrWrongKey) {
			t.Fatalf("got %v, want ErrWrongKey", err)
		}
		if strings.Contains(err.Error(), "wrong\"") || strings.Contains(err.Error(), "right") {
			t.Fatalf("error leaks the passphrase: %v", err)
		}
		if _, err := Open(ctx, be, NewPassphraseKEK([]byte("right"))); err != nil {
			t.Fatalf("right passphrase: %v", err)
		}
	})
	t.Run("newer version", func(t *testing.T) {
		t.Parallel()
		_, be := newTestRepo(t)
		raw := readAll(t, be, "config")
		overwrite(t, be, "config", bytes.Replace(raw, []byte(`"version": 1`), []byte(`"version": 7`), 1))
		_, err := Open(ctx, be, testKEK(t, 1))
		if !errors.Is(err, ErrUnsupportedVersion) {
			t.Fatalf("got %v, want ErrUnsupportedVersion", err)
		}
		want := "repository format version 7 is newer than this coffer supports (1); upgrade coffer"
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("message %q does not contain %q", err, want)
		}
	})
}

func TestInitRefusesLeftoverKeySlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, be := newTestRepo(t)
	if err := be.Remove(ctx, "config"); err != nil {
		t.Fatal(err)
	}
	_, err := Init(ctx, be, testKEK(t, 1), InitOptions{})
	if !errors.Is(err, ErrRepoExists) || !strings.Contains(err.Error(), "no config") {
		t.Fatalf("got %v", err)
	}
}

// TestForeignSlotDoesNotWin: a slot from another repository that the same
// key opens must not be chosen over the slot that matches the config.
func TestForeignSlotDoesNotWin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, be := newTestRepo(t)
	rOther, other := newTestRepo(t)
	first := strings.Repeat("0", 64) // sorts before the real slot
	if _, err := rOther.addKeyWithID(ctx, testKEK(t, 1), "foreign", first); err != nil {
		t.Fatal(err)
	}
	overwrite(t, be, keySlotName(first), readAll(t, other, keySlotName(first)))
	r, err := Open(ctx, be, testKEK(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.cfgErr != nil || r.KeySlotID() == first {
		t.Fatalf("opened with the foreign slot: %v", r.cfgErr)
	}
}

func TestInitWithPassphraseKDFOption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	be := mem.New()
	kdf := cheapKDF
	if _, err := Init(ctx, be, NewPassphraseKEK([]byte("pw")), InitOptions{KDF: &kdf}); err != nil {
		t.Fatal(err)
	}
	slot, err := decodeKeySlot(readAll(t, be, objectNames(t, be, "keys/")[0]))
	if err != nil || slot.KDF.Memory != cheapKDF.Memory || len(slot.KDF.Salt) != 16 {
		t.Fatalf("slot KDF %+v, %v", slot.KDF, err)
	}
	if _, err := Open(ctx, be, NewPassphraseKEK([]byte("pw"))); err != nil {
		t.Fatal(err)
	}
}
