package repo

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/mem"
)

// cheapKDF keeps passphrase tests fast; real slots use DefaultKDFParams.
var cheapKDF = KDFParams{Algorithm: "argon2id", Memory: 64, Time: 1, Threads: 1}

func testKEK(t testing.TB, seed byte) KEK {
	t.Helper()
	kek, err := NewKeyFileKEKFromBytes(bytes.Repeat([]byte{seed}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// newTestRepo creates a repository with small packs on an in-memory backend.
func newTestRepo(t testing.TB) (*Repository, *mem.Backend) {
	t.Helper()
	be := mem.New()
	r, err := Init(context.Background(), be, testKEK(t, 1), InitOptions{PackSize: 64 << 10, ChunkMin: 4 << 10, ChunkAvg: 16 << 10, ChunkMax: 64 << 10})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return r, be
}

func reopen(t testing.TB, be storage.Backend) *Repository {
	t.Helper()
	r, err := Open(context.Background(), be, testKEK(t, 1))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := r.LoadIndex(context.Background()); err != nil {
		t.Fatalf("LoadIndex: %v", err)
	}
	return r
}

// randomData returns n pseudo-random (incompressible) bytes.
func randomData(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func objectNames(t testing.TB, be storage.Backend, prefix string) []string {
	t.Helper()
	var names []string
	err := be.List(context.Background(), prefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func readAll(t testing.TB, be storage.Backend, name string) []byte {
	t.Helper()
	b, err := readObject(context.Background(), be, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func overwrite(t testing.TB, be storage.Backend, name string, data []byte) {
	t.Helper()
	if err := saveObject(context.Background(), be, name, data); err != nil {
		t.Fatal(err)
	}
}

// saveData chunks nothing: it stores each slice as one data blob.
func saveData(t testing.TB, r *Repository, blobs ...[]byte) []ID {
	t.Helper()
	ids := make([]ID, len(blobs))
	for i, b := range blobs {
		ids[i] = r.ChunkID(b)
		if _, err := r.SaveBlob(context.Background(), DataBlob, ids[i], b); err != nil {
			t.Fatalf("SaveBlob: %v", err)
		}
	}
	return ids
}

func newBackend() *mem.Backend { return mem.New() }
