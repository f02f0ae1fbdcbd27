package storage_test

import (
	"errors"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
)

func TestSaveErrorNeverReportsNotExist(t *testing.T) {
	t.Parallel()
	raw := errors.New("upload session gone")
	asMissing := func(name string, err error) error { return storage.NotExist(name, err) }
	if got := storage.SaveError("data/ab/pack", raw, asMissing); got != raw || storage.IsPermanent(got) {
		t.Errorf("SaveError of a not-found = %v (permanent %v), want the unclassified %v", got, storage.IsPermanent(got), raw)
	}
	asPermanent := func(name string, err error) error { return storage.Permanent(name, err) }
	got := storage.SaveError("data/ab/pack", raw, asPermanent)
	if !storage.IsPermanent(got) || storage.IsNotExist(got) || !errors.Is(got, raw) {
		t.Errorf("SaveError of a permanent error = %v, want it permanent and wrapping %v", got, raw)
	}
}
