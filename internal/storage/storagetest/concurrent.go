package storagetest

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

func (s *suite) testConcurrentDistinct(t *testing.T) {
	be := s.backend(t)
	const writers, perWriter = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				name := fmt.Sprintf("conc/%d/%d", w, i)
				data := randomBytes(uint64(w*1000+i), 1000+w*100+i)
				if err := be.Save(t.Context(), name, bytes.NewReader(data), int64(len(data))); err != nil {
					t.Errorf("Save(%q): %v", name, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for w := range writers {
		for i := range perWriter {
			name := fmt.Sprintf("conc/%d/%d", w, i)
			s.wantContent(t, be, name, randomBytes(uint64(w*1000+i), 1000+w*100+i))
		}
	}
	if n := len(s.listAll(t, be, "conc/")); n != writers*perWriter {
		t.Errorf("List(conc/) returned %d objects, want %d", n, writers*perWriter)
	}
}

// testConcurrentSameName races writers of different contents on one name
// while readers check that every read sees one whole version.
func (s *suite) testConcurrentSameName(t *testing.T) {
	be := s.backend(t)
	const writers, rounds = 4, 5
	versions := make([][]byte, writers)
	for w := range versions {
		// Each version has its own length and byte value, so a mix or a
		// prefix of versions is detectable.
		versions[w] = bytes.Repeat([]byte{byte('A' + w)}, 50000+w*7000)
	}
	isVersion := func(data []byte) bool {
		for _, v := range versions {
			if bytes.Equal(data, v) {
				return true
			}
		}
		return false
	}

	var (
		writersDone atomic.Bool
		succeeded   [writers]atomic.Int32
		wg, readers sync.WaitGroup
	)
	for r := range 2 {
		readers.Go(func() {
			for !writersDone.Load() {
				s.readOneVersion(t, be, r, isVersion)
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for range rounds {
				err := be.Save(t.Context(), "same", bytes.NewReader(versions[w]), int64(len(versions[w])))
				switch {
				case err == nil:
					succeeded[w].Add(1)
				case s.opts.Immutable && storage.IsPermanent(err):
				default:
					t.Errorf("writer %d: Save(same): %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	writersDone.Store(true)
	readers.Wait()

	final := s.load(t, be, "same", 0, -1)
	if !isVersion(final) {
		t.Fatalf("final content is not one whole version: %d bytes %s", len(final), short(final))
	}
	total := 0
	for w := range writers {
		n := int(succeeded[w].Load())
		total += n
		if n == 0 && bytes.Equal(final, versions[w]) {
			t.Errorf("final content is writer %d's, whose saves all failed", w)
		}
	}
	if s.opts.Immutable && total != 1 {
		t.Errorf("immutable backend accepted %d saves of one name, want 1", total)
	}
}

func (s *suite) readOneVersion(t *testing.T, be storage.Backend, reader int, isVersion func([]byte) bool) {
	rc, err := be.Open(t.Context(), "same", 0, -1)
	if storage.IsNotExist(err) {
		return // no writer finished yet
	}
	if err != nil {
		t.Errorf("reader %d: Open(same): %v", reader, err)
		return
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Errorf("reader %d: read same: %v", reader, err)
		return
	}
	if !isVersion(data) {
		t.Errorf("reader %d saw a partial or mixed object: %d bytes %s", reader, len(data), short(data))
	}
}
