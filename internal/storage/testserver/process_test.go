package testserver

import (
	"strings"
	"testing"
)

func TestMissingBinaryNamesInstallScript(t *testing.T) {
	t.Parallel()
	_, err := findBinary("coffer-no-such-server")
	if err == nil || !strings.Contains(err.Error(), "scripts/deps/storage-servers.sh") {
		t.Fatalf("findBinary of a missing server = %v, want an error naming the install script", err)
	}
}

func TestDescendantsFindsNoStrangers(t *testing.T) {
	t.Parallel()
	// PID 1's tree holds every process; a fresh, childless pid holds none.
	if d := descendants(1 << 30); len(d) != 0 {
		t.Fatalf("descendants of a nonexistent pid = %v", d)
	}
}
