package archiver_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/restorer"
)

// Large files are read by several readers at once; one that fails after it
// was opened (here: replaced by a directory between lstat and open, so the
// read gets EISDIR) is handled like a file that cannot be opened: the
// default policy fails the backup naming it, a skipping policy leaves it
// out, and every other file comes back byte for byte.
func TestLargeFileReadErrorFailsOrIsSkipped(t *testing.T) {
	t.Parallel()
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			t.Parallel()
			r := newRepo(t) // chunks: min 16 KiB, so 300 KiB files take the readers
			src := t.TempDir()
			want := map[string][]byte{}
			for i := range 6 {
				p := filepath.Join(src, fmt.Sprintf("big%d", i))
				want[p] = random(uint64(20+i), 300<<10+i*4099)
				write(t, p, string(want[p]))
			}
			victim := filepath.Join(src, "big3")
			delete(want, victim)
			var mu sync.Mutex
			var skipped []string
			var skippedErr error
			opts := archiver.Options{
				Readers: 3,
				// Called after lstat and before open: swap the file for a directory.
				FixedChunkSize: func(p string) int {
					if p == victim {
						if err := os.Remove(p); err != nil {
							t.Error(err)
						}
						if err := os.Mkdir(p, 0o755); err != nil {
							t.Error(err)
						}
					}
					return 0
				},
			}
			if skip {
				opts.OnError = func(p string, err error) error {
					mu.Lock()
					defer mu.Unlock()
					skipped, skippedErr = append(skipped, p), err
					return nil
				}
			}
			a, err := archiver.New(r, opts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Backup(context.Background(), []string{src}, nil, nil)
			if !skip {
				if err == nil || !strings.Contains(err.Error(), victim) || !strings.Contains(err.Error(), syscall.EISDIR.Error()) {
					t.Fatalf("default policy: got %v, want a failure naming %s and %q", err, victim, syscall.EISDIR.Error())
				}
				return
			}
			if err != nil {
				t.Fatalf("skip policy: %v", err)
			}
			if res.Errors != 1 || len(skipped) != 1 || skipped[0] != victim {
				t.Fatalf("errors=%d skipped=%v, want 1 and [%s]", res.Errors, skipped, victim)
			}
			if !strings.Contains(skippedErr.Error(), syscall.EISDIR.Error()) {
				t.Errorf("OnError got %v, want the read's EISDIR", skippedErr)
			}
			got := names(t, r, res.Snapshot, src)
			if len(got) != len(want) {
				t.Fatalf("snapshot holds %v, want the %d files without big3", got, len(want))
			}
			out := t.TempDir()
			if _, err := restorer.New(r, restorer.Options{}).Restore(context.Background(), res.Snapshot, out); err != nil {
				t.Fatal(err)
			}
			for p, data := range want {
				if b, err := os.ReadFile(filepath.Join(out, p)); err != nil || !bytes.Equal(b, data) {
					t.Errorf("%s: restored %d bytes (%v), want its %d bytes", p, len(b), err, len(data))
				}
			}
		})
	}
}
