package storagetest

import (
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

// Options tunes the suite to a driver.
type Options struct {
	// ObjectCount is how many objects the List test saves under one prefix;
	// keep it above the driver's page size. Default 1100, which exceeds the
	// 1000 keys of an S3 page.
	ObjectCount int
	// LargeObjectSize is the size of the large-object tests; keep it above
	// the driver's multipart threshold. Default 12 MiB.
	LargeObjectSize int64
	// Immutable says the backend refuses to overwrite (object lock): a Save
	// over an existing name must fail with an error for which
	// storage.IsPermanent is true and leave the old content in place.
	Immutable bool
	// Serial runs the subtests one after another instead of in parallel,
	// for servers that cannot take the load.
	Serial bool
	// Secrets are strings (keys, passwords, tokens) that must never appear
	// in Location() or in an error message the suite sees.
	Secrets []string

	// SkipLarge skips the large-object tests.
	SkipLarge bool
	// SkipConcurrent skips the concurrent-writer tests.
	SkipConcurrent bool
	// SkipInvalidNames skips the check that invalid names ("../x", "/x",
	// "a//b", ...) are rejected with a permanent error.
	SkipInvalidNames bool
}

func (o Options) withDefaults() Options {
	if o.ObjectCount <= 0 {
		o.ObjectCount = 1100
	}
	if o.LargeObjectSize <= 0 {
		o.LargeObjectSize = 12 << 20
	}
	return o
}

// Run runs the conformance suite as subtests of t. newBackend must return an
// empty backend that no other call shares; the suite closes it when the
// subtest ends.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend, opts Options) {
	s := &suite{newBackend: newBackend, opts: opts.withDefaults()}
	tests := []struct {
		name string
		skip bool
		fn   func(t *testing.T)
	}{
		{"Location", false, s.testLocation},
		{"RoundTrip", false, s.testRoundTrip},
		{"UnknownSize", false, s.testUnknownSize},
		{"ZeroByte", false, s.testZeroByte},
		{"RangedReads", false, s.testRangedReads},
		{"Stat", false, s.testStat},
		{"ListMany", false, s.testListMany},
		{"ListPrefixes", false, s.testListPrefixes},
		{"ListEarlyStop", false, s.testListEarlyStop},
		{"ListEmpty", false, s.testListEmpty},
		{"Remove", false, s.testRemove},
		{"NotExist", false, s.testNotExist},
		{"Overwrite", false, s.testOverwrite},
		{"WrongSize", false, s.testWrongSize},
		{"FailingReader", false, s.testFailingReader},
		{"FailingReaderKeepsOld", s.opts.Immutable, s.testFailingReaderKeepsOld},
		{"ContextCancelled", false, s.testContextCancelled},
		{"ContextCancelledMidSave", false, s.testContextCancelledMidSave},
		{"ConcurrentDistinct", s.opts.SkipConcurrent, s.testConcurrentDistinct},
		{"ConcurrentSameName", s.opts.SkipConcurrent, s.testConcurrentSameName},
		{"Large", s.opts.SkipLarge, s.testLarge},
		{"LargeUnknownSize", s.opts.SkipLarge, s.testLargeUnknownSize},
		{"LargeFailingReader", s.opts.SkipLarge, s.testLargeFailingReader},
		{"NestedNames", false, s.testNestedNames},
		{"InvalidNames", s.opts.SkipInvalidNames, s.testInvalidNames},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip {
				t.Skip("skipped by storagetest.Options")
			}
			if !s.opts.Serial {
				t.Parallel()
			}
			tc.fn(t)
		})
	}
}

type suite struct {
	newBackend func(t *testing.T) storage.Backend
	opts       Options
}

// backend returns a fresh backend that is closed when t ends.
func (s *suite) backend(t *testing.T) storage.Backend {
	t.Helper()
	be := s.newBackend(t)
	t.Cleanup(func() {
		if err := be.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return be
}
