package memlimit

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestForBackupSizesTheLimitByTheIndex(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(math.MaxInt64)
	ForBackup(0, 0)
	if got := debug.SetMemoryLimit(-1); got != Pipeline {
		t.Fatalf("limit with an empty index = %d, want %d", got, Pipeline)
	}
	ForBackup(1_000_000, 0)
	if got := debug.SetMemoryLimit(-1); got != Pipeline+512_000_000 {
		t.Fatalf("limit with a million blobs = %d, want %d", got, Pipeline+512_000_000)
	}
	ForBackup(0, 64<<20)
	if got := debug.SetMemoryLimit(-1); got != Pipeline+64<<20 {
		t.Fatalf("limit with a 64 MiB compressor = %d, want %d", got, Pipeline+64<<20)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(123 << 20)
	ForBackup(0, 0)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("GOMEMLIMIT set by the user was overridden: %d", got)
	}
}
