package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/mem"
)

// tamperFixture is a small repository with every object kind: config, two
// key slots (keyfile "A" in use, passphrase "B"), data and tree packs, an
// index and a snapshot.
type tamperFixture struct {
	be       *mem.Backend
	slotA    string
	slotB    string
	treePack string
	dataPack string
}

func newTamperFixture(t *testing.T) tamperFixture {
	t.Helper()
	ctx := context.Background()
	r, be := newTestRepo(t)
	slotB, err := r.AddKey(ctx, NewPassphraseKEKWithParams([]byte("pw"), cheapKDF), "B")
	if err != nil {
		t.Fatal(err)
	}
	ids := saveData(t, r, randomData(1, 3000), bytes.Repeat([]byte("x"), 5000))
	root, err := r.SaveTree(ctx, &Tree{Nodes: []Node{{Name: []byte("f"), Type: NodeFile, Content: ids}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveSnapshot(ctx, &Snapshot{Time: time.Unix(1, 0), Tree: root}); err != nil {
		t.Fatal(err)
	}
	dl, _ := r.LookupBlob(DataBlob, ids[0])
	tl, _ := r.LookupBlob(TreeBlob, root)
	return tamperFixture{be: be, slotA: r.KeySlotID(), slotB: slotB, treePack: packName(tl.PackID), dataPack: packName(dl.PackID)}
}

func cloneBackend(t *testing.T, src storage.Backend) *mem.Backend {
	t.Helper()
	dst := mem.New()
	for _, name := range objectNames(t, src, "") {
		overwrite(t, dst, name, readAll(t, src, name))
	}
	return dst
}

// flipped returns a copy of be with one byte of name XORed with mask.
func flipped(t *testing.T, be storage.Backend, name string, pos int, mask byte) *mem.Backend {
	t.Helper()
	c := cloneBackend(t, be)
	data := readAll(t, c, name)
	data[pos] ^= mask
	overwrite(t, c, name, data)
	return c
}

// checkNames opens be (with the key file, else the passphrase) and runs a
// full Check. It returns the non-warning problems' object names, or the
// Open error.
func checkNames(t *testing.T, be storage.Backend) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	r, err := Open(ctx, be, testKEK(t, 1))
	if errors.Is(err, ErrWrongKey) {
		r, err = Open(ctx, be, NewPassphraseKEK([]byte("pw")))
	}
	if err != nil {
		return nil, err
	}
	var names []string
	_, err = r.Check(ctx, CheckOptions{ReadData: true}, func(p Problem) {
		if !p.Warning {
			names = append(names, p.Object)
		}
	})
	if err != nil {
		t.Fatalf("Check failed to run: %v", err)
	}
	return names, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestTamperEveryObjectKind flips single bytes in every kind of object and
// asserts that Check (or Open, where it must refuse) names the object.
func TestTamperEveryObjectKind(t *testing.T) {
	t.Parallel()
	fx := newTamperFixture(t)
	if names, err := checkNames(t, fx.be); err != nil || len(names) > 0 {
		t.Fatalf("pristine repository: problems %v, err %v", names, err)
	}
	object := func(prefix string) string {
		names := objectNames(t, fx.be, prefix)
		if len(names) != 1 {
			t.Fatalf("want one object under %s, have %v", prefix, names)
		}
		return names[0]
	}
	type target struct {
		kind, name string
		positions  func(size int) []int
	}
	every := func(size int) []int {
		p := make([]int, size)
		for i := range p {
			p[i] = i
		}
		return p
	}
	// The data pack is a few KiB; sample its blob region, flip every byte
	// of its header and trailer.
	dataPositions := func(size int) []int {
		var p []int
		for i := 0; i < size-200; i += 17 {
			p = append(p, i)
		}
		for i := max(0, size-200); i < size; i++ {
			p = append(p, i)
		}
		return p
	}
	targets := []target{
		{"config", "config", every},
		{"key slot in use", keySlotName(fx.slotA), every},
		{"other key slot", keySlotName(fx.slotB), every},
		{"index", object("index/"), every},
		{"snapshot", object("snapshots/"), every},
		{"tree pack", fx.treePack, every},
		{"data pack", fx.dataPack, dataPositions},
	}
	for _, tg := range targets {
		t.Run(tg.kind, func(t *testing.T) {
			t.Parallel()
			size := len(readAll(t, fx.be, tg.name))
			for _, pos := range tg.positions(size) {
				for _, mask := range []byte{0x01, 0x80} {
					be := flipped(t, fx.be, tg.name, pos, mask)
					names, err := checkNames(t, be)
					if err != nil {
						if tg.kind == "config" && errors.Is(err, ErrUnsupportedVersion) {
							continue // a flipped version digit may read as a newer version
						}
						t.Fatalf("byte %d ^ %#x: Open failed: %v", pos, mask, err)
					}
					if !contains(names, tg.name) {
						t.Fatalf("byte %d ^ %#x of %s: Check did not name it; problems: %v", pos, mask, tg.name, names)
					}
				}
			}
		})
	}
}

func TestTruncatedAndMissingObjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fx := newTamperFixture(t)
	for _, name := range objectNames(t, fx.be, "") {
		if name == "config" || strings.HasPrefix(name, "keys/") {
			continue
		}
		t.Run("truncate "+name, func(t *testing.T) {
			t.Parallel()
			be := cloneBackend(t, fx.be)
			data := readAll(t, be, name)
			overwrite(t, be, name, data[:len(data)/2])
			names, err := checkNames(t, be)
			if err != nil || !contains(names, name) {
				t.Fatalf("problems %v, err %v: want %s named", names, err, name)
			}
		})
	}
	t.Run("missing pack", func(t *testing.T) {
		t.Parallel()
		be := cloneBackend(t, fx.be)
		if err := be.Remove(ctx, fx.dataPack); err != nil {
			t.Fatal(err)
		}
		names, err := checkNames(t, be)
		if err != nil || !contains(names, fx.dataPack) {
			t.Fatalf("problems %v, err %v", names, err)
		}
		r := reopen(t, be)
		_, err = r.LoadBlob(ctx, DataBlob, mustFirstDataBlob(t, r), nil)
		if !storage.IsNotExist(err) || !strings.Contains(err.Error(), fx.dataPack) {
			t.Fatalf("LoadBlob from a missing pack: %v", err)
		}
	})
	t.Run("LoadBlob names pack", func(t *testing.T) {
		t.Parallel()
		be := flipped(t, fx.be, fx.dataPack, 20, 1)
		r := reopen(t, be)
		id := mustFirstDataBlob(t, r)
		_, err := r.LoadBlob(ctx, DataBlob, id, nil)
		var ce *CorruptionError
		if !errors.As(err, &ce) || ce.Object != fx.dataPack || ce.Blob == nil || *ce.Blob != id {
			t.Fatalf("got %v, want CorruptionError for %s blob %s", err, fx.dataPack, id.Short())
		}
		if !strings.Contains(err.Error(), fx.dataPack) {
			t.Fatalf("message %q does not name the pack", err)
		}
	})
}

func mustFirstDataBlob(t *testing.T, r *Repository) ID {
	t.Helper()
	for _, p := range r.idx.packList() {
		for _, e := range p.Blobs {
			if e.Type == DataBlob && e.Offset == 0 {
				return e.ID
			}
		}
	}
	t.Fatal("no data blob at offset 0")
	return ID{}
}

func TestInterruptedBackupLeavesWarningsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, be := newTestRepo(t)
	// Simulate a killed backup: packs uploaded, no index, no snapshot.
	data := [][]byte{randomData(10, 40000), randomData(11, 40000), randomData(12, 40000)}
	saveData(t, r, data...)
	if err := r.packer.flushPacksOnly(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(objectNames(t, be, "index/")); n != 0 {
		t.Fatalf("%d index objects, want none", n)
	}
	r2 := reopen(t, be)
	var warnings, errs []Problem
	if _, err := r2.Check(ctx, CheckOptions{ReadData: true}, func(p Problem) {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 || len(warnings) == 0 {
		t.Fatalf("errors %v, warnings %v: want only unreferenced-pack warnings", errs, warnings)
	}
	for _, w := range warnings {
		if !strings.Contains(w.Err.Error(), "unreferenced pack") {
			t.Fatalf("warning %v", w)
		}
	}
	// The next backup stores the data again and succeeds.
	ids := saveData(t, r2, data...)
	if err := r2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r3 := reopen(t, be)
	for i, id := range ids {
		got, err := r3.LoadBlob(ctx, DataBlob, id, nil)
		if err != nil || !bytes.Equal(got, data[i]) {
			t.Fatalf("blob %d after re-save: %v", i, err)
		}
	}
}

func TestProblemMessage(t *testing.T) {
	t.Parallel()
	id := ID{1}
	p := Problem{Object: "data/01/01", Blob: &id, Err: fmt.Errorf("boom")}
	if s := p.Error(); !strings.Contains(s, "data/01/01") || !strings.Contains(s, id.String()) {
		t.Fatal(s)
	}
}
