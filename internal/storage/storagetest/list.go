package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// saveMany saves the given name -> content pairs with a few workers.
func (s *suite) saveMany(t *testing.T, be storage.Backend, objects map[string][]byte) {
	t.Helper()
	names := slices.Sorted(maps.Keys(objects))
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for name := range work {
				data := objects[name]
				if err := be.Save(t.Context(), name, bytes.NewReader(data), int64(len(data))); err != nil {
					errs <- fmt.Errorf("Save(%q): %w", name, err)
				}
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func (s *suite) testListMany(t *testing.T) {
	be := s.backend(t)
	want := make(map[string][]byte)
	for i := range s.opts.ObjectCount {
		// Two-level fan-out like the repository's data/ab/abcd... layout.
		name := fmt.Sprintf("many/%02x/obj-%05d", i%16, i)
		want[name] = bytes.Repeat([]byte{byte(i)}, i%5) // sizes 0 to 4
	}
	others := map[string][]byte{"manyx": []byte("sibling"), "other/many/x": []byte("y"), "man": []byte("z")}
	all := maps.Clone(want)
	maps.Copy(all, others)
	s.saveMany(t, be, all)

	got := s.listAll(t, be, "many/")
	if len(got) != len(want) {
		t.Errorf("List(many/) returned %d objects, want %d", len(got), len(want))
	}
	for name, data := range want {
		size, ok := got[name]
		if !ok {
			t.Errorf("List(many/) is missing %q", name)
			continue
		}
		if size != int64(len(data)) {
			t.Errorf("List(many/): %q has size %d, want %d", name, size, len(data))
		}
	}
	if n := len(s.listAll(t, be, "")); n != len(all) {
		t.Errorf("List(\"\") returned %d objects, want %d", n, len(all))
	}
	if n := len(s.listAll(t, be, "many/0a/")); n != s.opts.ObjectCount/16+boolInt(s.opts.ObjectCount%16 > 10) {
		t.Errorf("List(many/0a/) returned %d objects", n)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// testListPrefixes checks that prefixes are plain string prefixes, not
// directory names: "a/b" matches "a/b/x" and "a/bc" but not "a/c".
func (s *suite) testListPrefixes(t *testing.T) {
	be := s.backend(t)
	names := []string{"p/a/b/x", "p/a/b/y/z", "p/a/bc", "p/a/c", "p/ab", "q/a/b"}
	objects := make(map[string][]byte)
	for _, n := range names {
		objects[n] = []byte(n)
	}
	s.saveMany(t, be, objects)
	cases := map[string][]string{
		"p/a/b/":  {"p/a/b/x", "p/a/b/y/z"},
		"p/a/b":   {"p/a/b/x", "p/a/b/y/z", "p/a/bc"},
		"p/a/":    {"p/a/b/x", "p/a/b/y/z", "p/a/bc", "p/a/c"},
		"p/a":     {"p/a/b/x", "p/a/b/y/z", "p/a/bc", "p/a/c", "p/ab"},
		"p/":      {"p/a/b/x", "p/a/b/y/z", "p/a/bc", "p/a/c", "p/ab"},
		"p":       {"p/a/b/x", "p/a/b/y/z", "p/a/bc", "p/a/c", "p/ab"},
		"p/a/b/x": {"p/a/b/x"},
		"p/z":     nil,
		"zz/":     nil,
		"":        names,
	}
	for prefix, want := range cases {
		got := slices.Sorted(maps.Keys(s.listAll(t, be, prefix)))
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
}

func (s *suite) testListEarlyStop(t *testing.T) {
	be := s.backend(t)
	objects := make(map[string][]byte)
	for i := range 20 {
		objects[fmt.Sprintf("stop/%02d", i)] = []byte{byte(i)}
	}
	s.saveMany(t, be, objects)
	errStop := errors.New("stop here")
	calls := 0
	err := be.List(t.Context(), "stop/", func(storage.ObjectInfo) error {
		calls++
		if calls == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("List returned %v, want the callback's error", err)
	}
	if calls != 3 {
		t.Errorf("callback ran %d times, want 3 (List must stop at the first error)", calls)
	}
}

func (s *suite) testListEmpty(t *testing.T) {
	be := s.backend(t)
	for _, prefix := range []string{"", "nothing/", "nothing"} {
		if got := s.listAll(t, be, prefix); len(got) != 0 {
			t.Errorf("List(%q) on an empty backend = %v", prefix, got)
		}
	}
}

func (s *suite) testNestedNames(t *testing.T) {
	be := s.backend(t)
	names := []string{
		"n/a/b/c/d/e/f/g/deep",
		"n/with.dots/and-dashes_under",
		"n/x/.hidden-ish",
		"n/" + string(bytes.Repeat([]byte("long"), 40)),
		"n/ünïcode/名前",
		"n/space in name",
		"top",
	}
	for i, name := range names {
		data := randomBytes(uint64(100+i), 10+i)
		s.save(t, be, name, data)
		s.wantContent(t, be, name, data)
	}
	got := s.listAll(t, be, "")
	for _, name := range names {
		if _, ok := got[name]; !ok {
			t.Errorf("List(\"\") is missing %q", name)
		}
	}
	if len(got) != len(names) {
		t.Errorf("List(\"\") = %v, want exactly %q", slices.Sorted(maps.Keys(got)), names)
	}
}
