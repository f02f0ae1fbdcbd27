package catalog

import "time"

// AuditEntry is one record of the append-only, hash-chained audit log.
// Seq starts at 1 and has no gaps; PrevHash is the Hash of entry Seq-1 (empty
// for the first). How Hash is computed is the audit package's business; the
// store only guarantees that entries extend the chain atomically and are
// never updated or deleted.
type AuditEntry struct {
	Seq      int64
	Time     time.Time
	Actor    string
	Action   string
	Object   string
	Details  map[string]any
	PrevHash []byte
	Hash     []byte
}

// AuditTip is the last entry's position, the input for the next hash.
type AuditTip struct {
	Seq  int64
	Hash []byte
}
