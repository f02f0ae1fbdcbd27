package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// Store is what the log needs from the catalog.
type Store interface {
	catalog.Clock
	catalog.AuditStore
}

// Log records audit entries.
type Log struct {
	store Store
}

// New returns a Log writing to store.
func New(store Store) *Log { return &Log{store: store} }

// Event is one state change to record. Details must not contain secrets.
type Event struct {
	// Actor is who did it: "token:<id>" (an API token), "agent:<id>",
	// "system:<component>".
	Actor  string
	Action string // e.g. "backup.create", "agent.revoke"
	Object string // e.g. "backup/<id>"
	// Details are small JSON-compatible facts (names, counts, reasons).
	Details map[string]any
}

// Record appends e with the database time.
func (l *Log) Record(ctx context.Context, e Event) error {
	now, err := l.store.Now(ctx)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	details, err := normalize(e.Details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	_, err = l.store.AppendAudit(ctx, func(tip catalog.AuditTip) (catalog.AuditEntry, error) {
		entry := catalog.AuditEntry{
			Seq:      tip.Seq + 1,
			Time:     now.UTC().Truncate(time.Microsecond),
			Actor:    e.Actor,
			Action:   e.Action,
			Object:   e.Object,
			Details:  details,
			PrevHash: tip.Hash,
		}
		entry.Hash = Hash(entry)
		return entry, nil
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// normalize round-trips details through JSON so the hash is computed over
// exactly what the store will give back (numbers as float64 and so on).
func normalize(d map[string]any) (map[string]any, error) {
	if len(d) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Hash computes an entry's hash from its fields and PrevHash.
func Hash(e catalog.AuditEntry) []byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write([]byte("coffer audit v1"))
	h.Write(n[:])
	field([]byte(e.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)))
	field([]byte(e.Actor))
	field([]byte(e.Action))
	field([]byte(e.Object))
	details := []byte("null")
	if len(e.Details) > 0 {
		details, _ = json.Marshal(e.Details) // map keys sort, so this is canonical
	}
	field(details)
	field(e.PrevHash)
	return h.Sum(nil)
}
