package faulty_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/local"
	"github.com/cofferhq/coffer/internal/storage/mem"
	"github.com/cofferhq/coffer/internal/storage/storagetest"
)

func TestConformanceWithoutRules(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return faulty.New(mem.New())
	}, storagetest.Options{ObjectCount: 200, LargeObjectSize: 2 << 20})
}

func save(ctx context.Context, be storage.Backend, name, data string) error {
	return be.Save(ctx, name, strings.NewReader(data), int64(len(data)))
}

func TestFailNthCallOnlyForPrefix(t *testing.T) {
	t.Parallel()
	be := faulty.New(mem.New(), faulty.Rule{Op: faulty.OpSave, Prefix: "data/", Nth: 2, Count: 2})
	ctx := t.Context()
	results := []error{
		save(ctx, be, "data/1", "a"),  // 1st matching: ok
		save(ctx, be, "index/1", "b"), // not matching: ok
		save(ctx, be, "data/2", "c"),  // 2nd: fails
		save(ctx, be, "data/3", "d"),  // 3rd: fails
		save(ctx, be, "data/4", "e"),  // 4th: ok
	}
	wantFail := []bool{false, false, true, true, false}
	for i, err := range results {
		if got := err != nil; got != wantFail[i] {
			t.Errorf("call %d: err = %v, want failure %v", i+1, err, wantFail[i])
		}
		if err != nil && (!errors.Is(err, faulty.ErrInjected) || storage.IsPermanent(err)) {
			t.Errorf("call %d: err = %v, want transient ErrInjected", i+1, err)
		}
	}
	if _, err := be.Stat(ctx, "data/2"); !storage.IsNotExist(err) {
		t.Errorf("failed Save stored data/2: %v", err)
	}
	if n := be.Calls(faulty.OpSave); n != 5 {
		t.Errorf("Calls(save) = %d, want 5", n)
	}
}

func TestCustomPermanentError(t *testing.T) {
	t.Parallel()
	perm := storage.Permanent("x", errors.New("access denied"))
	be := faulty.New(mem.New(), faulty.Rule{Op: faulty.AnyOp, Err: perm})
	_, err := be.Stat(t.Context(), "x")
	if !storage.IsPermanent(err) || !strings.Contains(err.Error(), "access denied") {
		t.Errorf("Stat = %v, want the injected permanent error", err)
	}
}

// TestCutSaveLeavesNoObject drops the "connection" midway through a Save
// over real drivers: the inner backend must not publish the object.
func TestCutSaveLeavesNoObject(t *testing.T) {
	t.Parallel()
	dir, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, inner := range []storage.Backend{mem.New(), dir} {
		be := faulty.New(inner, faulty.Rule{Op: faulty.OpSave, Fault: faulty.FailAfterBytes, Bytes: 1000})
		data := bytes.Repeat([]byte("z"), 5000)
		err := be.Save(t.Context(), "data/pack", bytes.NewReader(data), int64(len(data)))
		if !errors.Is(err, faulty.ErrInjected) {
			t.Errorf("%s: Save = %v, want ErrInjected", inner.Location(), err)
		}
		if _, err := inner.Stat(t.Context(), "data/pack"); !storage.IsNotExist(err) {
			t.Errorf("%s: the cut Save left an object (%v)", inner.Location(), err)
		}
	}
}

func TestCutDownload(t *testing.T) {
	t.Parallel()
	inner := mem.New()
	if err := save(t.Context(), inner, "obj", "0123456789"); err != nil {
		t.Fatal(err)
	}
	be := faulty.New(inner, faulty.Rule{Op: faulty.OpOpen, Fault: faulty.FailAfterBytes, Bytes: 4})
	rc, err := be.Open(t.Context(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if string(got) != "0123" || !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("read %q, %v; want 0123 and ErrInjected", got, err)
	}
}

func TestFlipBit(t *testing.T) {
	t.Parallel()
	inner := mem.New()
	data := bytes.Repeat([]byte{0xAA}, 100)
	if err := inner.Save(t.Context(), "obj", bytes.NewReader(data), 100); err != nil {
		t.Fatal(err)
	}
	be := faulty.New(inner, faulty.Rule{Op: faulty.OpOpen, Fault: faulty.FlipBit, Bytes: 50})
	read := func(offset, length int64) []byte {
		rc, err := be.Open(t.Context(), "obj", offset, length)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := read(0, -1)
	for i := range got {
		want := byte(0xAA)
		if i == 50 {
			want = 0xAB
		}
		if got[i] != want {
			t.Errorf("byte %d = %#x, want %#x", i, got[i], want)
		}
	}
	if got := read(40, 20); got[10] != 0xAB {
		t.Errorf("ranged read including offset 50: byte = %#x, want 0xAB", got[10])
	}
	if got := read(60, 10); !bytes.Equal(got, data[60:70]) {
		t.Errorf("ranged read after offset 50 was changed: %x", got)
	}
	if got := read(0, 50); !bytes.Equal(got, data[:50]) {
		t.Errorf("ranged read before offset 50 was changed: %x", got)
	}
}

func TestDelayUsesInjectedSleepAndHonoursContext(t *testing.T) {
	t.Parallel()
	be := faulty.New(mem.New(), faulty.Rule{Op: faulty.OpStat, Fault: faulty.Delay, Delay: time.Hour})
	var slept []time.Duration
	be.SetSleep(func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	})
	if _, err := be.Stat(t.Context(), "x"); !storage.IsNotExist(err) {
		t.Errorf("Stat after delay = %v, want the inner not-exist error", err)
	}
	if len(slept) != 1 || slept[0] != time.Hour {
		t.Errorf("slept %v, want [1h]", slept)
	}

	real := faulty.New(mem.New(), faulty.Rule{Fault: faulty.Delay, Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := real.Stat(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("delayed Stat with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestListFailsAfterObjects(t *testing.T) {
	t.Parallel()
	inner := mem.New()
	for _, n := range []string{"a", "b", "c", "d"} {
		if err := save(t.Context(), inner, n, n); err != nil {
			t.Fatal(err)
		}
	}
	be := faulty.New(inner, faulty.Rule{Op: faulty.OpList, Fault: faulty.FailAfterBytes, Bytes: 2})
	seen := 0
	err := be.List(t.Context(), "", func(storage.ObjectInfo) error { seen++; return nil })
	if seen != 2 || !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("List saw %d objects, err %v; want 2 and ErrInjected", seen, err)
	}
}
