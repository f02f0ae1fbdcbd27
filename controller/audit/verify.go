package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cofferhq/coffer/internal/catalog"
)

// ChainError names the first entry that breaks the chain.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string { return fmt.Sprintf("audit entry %d: %s", e.Seq, e.Reason) }

// Verify walks the whole log and returns the number of entries checked, or
// a *ChainError for the first entry that was altered, removed or reordered.
func Verify(ctx context.Context, store catalog.AuditStore) (int64, error) {
	const page = 1000
	var prev []byte
	var last int64
	for {
		entries, err := store.ListAudit(ctx, last, page)
		if err != nil {
			return last, fmt.Errorf("list audit log: %w", err)
		}
		for _, e := range entries {
			switch {
			case e.Seq != last+1:
				return last, &ChainError{Seq: last + 1, Reason: fmt.Sprintf("missing (next stored entry is %d)", e.Seq)}
			case !bytes.Equal(e.PrevHash, prev):
				return last, &ChainError{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it"}
			case !bytes.Equal(Hash(e), e.Hash):
				return last, &ChainError{Seq: e.Seq, Reason: "content does not match its hash (entry modified)"}
			}
			prev, last = e.Hash, e.Seq
		}
		if len(entries) < page {
			return last, nil
		}
	}
}
