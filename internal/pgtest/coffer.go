package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage/local"
)

var build struct {
	once sync.Once
	path string
	err  error
}

// CofferBinary returns a coffer binary the postgres user can run (for
// archive_command and restore_command): $COFFER_BIN if set, else one built
// once per test process from ./cmd/coffer.
func CofferBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("COFFER_BIN"); p != "" {
		return p
	}
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "coffer-bin-")
		if err != nil {
			build.err = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "coffer")
		out, err := exec.Command("go", "build", "-o", build.path, "github.com/cofferhq/coffer/cmd/coffer").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build ./cmd/coffer: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Repository is a local repository that the postgres user can use too.
type Repository struct {
	Dir     string // repository directory (the --repo value)
	KeyFile string
}

// NewRepository initialises a repository with a key file in a fresh
// directory and hands both to the postgres user, whose archive_command
// writes wal/ and reads the config and key slots.
func NewRepository(t testing.TB) Repository {
	t.Helper()
	base := TempDir(t, "coffer-repo-")
	r := Repository{Dir: filepath.Join(base, "repo"), KeyFile: filepath.Join(base, "key")}
	be, err := local.Create(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	kek, err := repo.NewKeyFileKEK(r.KeyFile, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Init(context.Background(), be, kek, repo.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Chown(base); err != nil {
		t.Fatal(err)
	}
	return r
}

// Open opens the repository with its index loaded.
func (r Repository) Open(t testing.TB) *repo.Repository {
	t.Helper()
	be, err := local.New(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := repo.NewKeyFileKEK(r.KeyFile, false)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := repo.Open(context.Background(), be, kek)
	if err != nil {
		t.Fatal(err)
	}
	if err := rp.LoadIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return rp
}

// ArchiveSettings are the postgresql.conf settings that archive a
// cluster's WAL into r under stream with the coffer binary.
func ArchiveSettings(t testing.TB, r Repository, stream string) map[string]string {
	t.Helper()
	bin := CofferBinary(t)
	return map[string]string{
		"wal_level":       "replica",
		"archive_mode":    "on",
		"archive_command": fmt.Sprintf("'%s wal-push --source %s --repo %s --key-file %s %%p'", bin, stream, r.Dir, r.KeyFile),
		"archive_timeout": "0",
	}
}
