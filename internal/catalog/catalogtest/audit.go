package catalogtest

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// chain builds the next entry with a simple SHA-256 chain; the real hash
// format belongs to the audit package.
func chain(actor, action string, at time.Time) func(catalog.AuditTip) (catalog.AuditEntry, error) {
	return func(tip catalog.AuditTip) (catalog.AuditEntry, error) {
		e := catalog.AuditEntry{Seq: tip.Seq + 1, Time: us(at), Actor: actor, Action: action,
			Object: "backup/1", Details: map[string]any{"n": float64(tip.Seq + 1)}, PrevHash: tip.Hash}
		e.Hash = entryHash(e)
		return e, nil
	}
}

func entryHash(e catalog.AuditEntry) []byte {
	h := sha256.New()
	_ = binary.Write(h, binary.BigEndian, e.Seq)
	h.Write(e.PrevHash)
	fmt.Fprintf(h, "%s|%s|%s|%d", e.Actor, e.Action, e.Object, e.Time.UnixMicro())
	return h.Sum(nil)
}

// verifyChain checks entries are 1..n, linked and correctly hashed.
func verifyChain(t testing.TB, entries []catalog.AuditEntry, n int) {
	t.Helper()
	if len(entries) != n {
		t.Fatalf("audit entries = %d, want %d", len(entries), n)
	}
	var prev []byte
	for i, e := range entries {
		if e.Seq != int64(i+1) || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Hash, entryHash(e)) {
			t.Fatalf("audit entry %d (seq %d) breaks the chain", i+1, e.Seq)
		}
		prev = e.Hash
	}
}

func testAuditChain(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	at := now(t, s)
	for i := range 3 {
		e := must(s.AppendAudit(ctx, chain("admin", fmt.Sprintf("action-%d", i), at)))(t)
		eq(t, "seq", e.Seq, int64(i+1))
	}
	entries := must(s.ListAudit(ctx, 0, 0))(t)
	verifyChain(t, entries, 3)
	eq(t, "details", entries[2].Details["n"], any(float64(3)))
	sameTime(t, "time", entries[0].Time, us(at))
	if tail := must(s.ListAudit(ctx, 2, 10))(t); len(tail) != 1 || tail[0].Seq != 3 {
		t.Fatalf("ListAudit after 2 = %+v", tail)
	}

	_, err := s.AppendAudit(ctx, func(tip catalog.AuditTip) (catalog.AuditEntry, error) {
		return catalog.AuditEntry{Seq: tip.Seq + 1, Actor: "x", Action: "forged", PrevHash: []byte("wrong"), Hash: []byte("h")}, nil
	})
	wantErr(t, err, catalog.ErrAuditChain)
	_, err = s.AppendAudit(ctx, func(tip catalog.AuditTip) (catalog.AuditEntry, error) {
		return catalog.AuditEntry{Seq: tip.Seq, Actor: "x", Action: "replayed", PrevHash: tip.Hash, Hash: []byte("h")}, nil
	})
	wantErr(t, err, catalog.ErrAuditChain)

	// The log is append-only in the database itself, not only in the API.
	if raw, ok := s.(interface{ DB() *sql.DB }); ok {
		if _, err := raw.DB().ExecContext(ctx, `UPDATE audit_log SET actor = 'mallory'`); err == nil {
			t.Fatal("UPDATE audit_log succeeded, want append-only refusal")
		}
		if _, err := raw.DB().ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
			t.Fatal("DELETE FROM audit_log succeeded, want append-only refusal")
		}
		verifyChain(t, must(s.ListAudit(ctx, 0, 0))(t), 3)
	}
}

func testAuditConcurrent(t *testing.T, s catalog.Store) {
	ctx := ctxFor(t)
	at := now(t, s)
	const writers, each = 4, 6
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.AppendAudit(ctx, chain(fmt.Sprintf("w%d", w), fmt.Sprintf("a%d", i), at)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AppendAudit: %v", err)
	}
	verifyChain(t, must(s.ListAudit(ctx, 0, 0))(t), writers*each)
}
