package agenttest

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/pki"
)

// NewCA creates a throwaway controller CA with the controller's own pki
// package, so certificates and join tokens look exactly like the real ones.
func NewCA(t testing.TB) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("coffer test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}
