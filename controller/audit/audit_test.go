package audit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cofferhq/coffer/controller/audit"
	"github.com/cofferhq/coffer/internal/catalog/sqlite"
)

func TestChainVerifiesAndDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := sqlite.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log := audit.New(store)
	for i, action := range []string{"backup.create", "restore.create", "agent.revoke"} {
		if err := log.Record(ctx, audit.Event{Actor: "token:t1", Action: action, Object: "x/1", Details: map[string]any{"n": i, "name": "files1"}}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := audit.Verify(ctx, store)
	if err != nil || n != 3 {
		t.Fatalf("Verify = %d, %v; want 3 entries intact", n, err)
	}
	// Tamper beneath the store (the table refuses UPDATE, so drop the
	// guard first, as an attacker with database access could).
	db := store.DB()
	if _, err := db.Exec(`DROP TRIGGER audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'token:someone-else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	_, err = audit.Verify(ctx, store)
	var ce *audit.ChainError
	if !errors.As(err, &ce) || ce.Seq != 2 {
		t.Fatalf("Verify after tampering = %v, want a ChainError at entry 2", err)
	}
}
