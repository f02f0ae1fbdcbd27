package retry_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/faulty"
	"github.com/cofferhq/coffer/internal/storage/retry"
)

// streamOnly hides Seek and ReadAt so the reader can be read only once.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// readerAtOnly offers ReadAt but not Seek.
type readerAtOnly struct {
	io.Reader
	io.ReaderAt
}

func TestSaveRewindsSeekerToItsStartPosition(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{},
		faulty.Rule{Op: faulty.OpSave, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 2})
	r := bytes.NewReader([]byte("hdrpayload"))
	if _, err := r.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if err := be.Save(t.Context(), "obj", r, 7); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if n := f.Calls(faulty.OpSave); n != 2 {
		t.Errorf("inner Save called %d times, want 2", n)
	}
	checkContent(t, inner, "obj", []byte("payload"))
}

func TestSaveRereadsReaderAt(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{},
		faulty.Rule{Op: faulty.OpSave, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 2})
	data := []byte("from a ReaderAt")
	br := bytes.NewReader(data)
	if err := be.Save(t.Context(), "obj", readerAtOnly{br, br}, int64(len(data))); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if n := f.Calls(faulty.OpSave); n != 2 {
		t.Errorf("inner Save called %d times, want 2", n)
	}
	checkContent(t, inner, "obj", data)
}

func TestSaveBuffersSmallStreams(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{BufferLimit: 1000},
		faulty.Rule{Op: faulty.OpSave, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 10})
	data := bytes.Repeat([]byte("s"), 1000)
	if err := be.Save(t.Context(), "obj", streamOnly{bytes.NewReader(data)}, -1); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if n := f.Calls(faulty.OpSave); n != 2 {
		t.Errorf("inner Save called %d times, want 2", n)
	}
	checkContent(t, inner, "obj", data)
}

func TestSaveOfLargeStreamIsAttemptedOnce(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("L"), 1001)
	for _, size := range []int64{-1, 1001} {
		be, f, inner, _ := setup(t, retry.Options{BufferLimit: 1000},
			faulty.Rule{Op: faulty.OpSave, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 10})
		err := be.Save(t.Context(), "obj", streamOnly{bytes.NewReader(data)}, size)
		if !errors.Is(err, faulty.ErrInjected) {
			t.Errorf("size %d: Save = %v, want the single attempt's error", size, err)
		}
		if n := f.Calls(faulty.OpSave); n != 1 {
			t.Errorf("size %d: inner Save called %d times, want 1", size, n)
		}
		// Without a fault the partly buffered stream arrives whole.
		if err := be.Save(t.Context(), "obj", streamOnly{bytes.NewReader(data)}, size); err != nil {
			t.Fatalf("size %d: Save: %v", size, err)
		}
		checkContent(t, inner, "obj", data)
	}
}

func TestOpenResumesCutStreams(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 100)
	be, f, inner, clock := setup(t, retry.Options{},
		faulty.Rule{Op: faulty.OpOpen, Count: 3, Fault: faulty.FailAfterBytes, Bytes: 250})
	if err := inner.Save(t.Context(), "obj", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	rc, err := be.Open(t.Context(), "obj", 100, 800)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data[100:900]) {
		t.Fatalf("read %d bytes (%v), want data[100:900]", len(got), err)
	}
	// Cut at 250, 500, 750 bytes into the range; the fourth stream runs clean.
	if n := f.Calls(faulty.OpOpen); n != 4 {
		t.Errorf("inner Open called %d times, want 4", n)
	}
	if n := len(clock.Slept()); n != 3 {
		t.Errorf("waited %d times, want 3", n)
	}
}

func TestOpenStreamGivesUpWithoutProgress(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{MaxAttempts: 3},
		faulty.Rule{Op: faulty.OpOpen, Nth: 2, Fault: faulty.FailAfterBytes, Bytes: 0},
		faulty.Rule{Op: faulty.OpOpen, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 5})
	if err := inner.Save(t.Context(), "obj", bytes.NewReader(make([]byte, 100)), 100); err != nil {
		t.Fatal(err)
	}
	rc, err := be.Open(t.Context(), "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if len(got) != 5 || !errors.Is(err, faulty.ErrInjected) {
		t.Errorf("read %d bytes, %v; want 5 and ErrInjected", len(got), err)
	}
	if n := f.Calls(faulty.OpOpen); n != 3 {
		t.Errorf("inner Open called %d times, want 3", n)
	}
}

func TestListRetrySkipsSeenObjects(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{},
		faulty.Rule{Op: faulty.OpList, Count: 1, Fault: faulty.FailAfterBytes, Bytes: 2})
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		if err := inner.Save(t.Context(), n, bytes.NewReader(nil), 0); err != nil {
			t.Fatal(err)
		}
	}
	counts := map[string]int{}
	if err := be.List(t.Context(), "", func(info storage.ObjectInfo) error {
		counts[info.Name]++
		return nil
	}); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(counts) != 5 {
		t.Errorf("saw %v, want 5 names", counts)
	}
	for name, c := range counts {
		if c != 1 {
			t.Errorf("%s seen %d times", name, c)
		}
	}
	if n := f.Calls(faulty.OpList); n != 2 {
		t.Errorf("inner List called %d times, want 2", n)
	}
}

func TestListCallbackErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	be, f, inner, _ := setup(t, retry.Options{})
	if err := inner.Save(t.Context(), "a", bytes.NewReader(nil), 0); err != nil {
		t.Fatal(err)
	}
	errMine := errors.New("callback says stop") // transient-looking on purpose
	err := be.List(t.Context(), "", func(storage.ObjectInfo) error { return errMine })
	if err != errMine {
		t.Errorf("List = %v, want the callback's error unchanged", err)
	}
	if n := f.Calls(faulty.OpList); n != 1 {
		t.Errorf("inner List called %d times, want 1", n)
	}
}
