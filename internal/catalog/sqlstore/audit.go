package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cofferhq/coffer/internal/catalog"
)

// AppendAudit extends the hash chain by one entry built from the tip.
func (s *Store) AppendAudit(ctx context.Context, build func(catalog.AuditTip) (catalog.AuditEntry, error)) (catalog.AuditEntry, error) {
	var out catalog.AuditEntry
	err := s.inTx(ctx, func(c conn) error {
		if s.d.LockAuditSQL != "" {
			if _, err := c.exec(ctx, s.d.LockAuditSQL); err != nil {
				return s.fail("lock audit log", err)
			}
		}
		var tip catalog.AuditTip
		err := c.row(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&tip.Seq, bytesCol{&tip.Hash})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.fail("read audit tip", err)
		}
		e, err := build(tip)
		if err != nil {
			return fmt.Errorf("build audit entry: %w", err)
		}
		if e.Seq != tip.Seq+1 || !bytes.Equal(e.PrevHash, tip.Hash) || len(e.Hash) == 0 {
			return fmt.Errorf("audit entry %d after tip %d: %w", e.Seq, tip.Seq, catalog.ErrAuditChain)
		}
		details, err := jsonArg(orEmpty(e.Details))
		if err != nil {
			return fmt.Errorf("audit details: %w", err)
		}
		e.Time = utc(e.Time)
		if _, err := c.exec(ctx, `INSERT INTO audit_log (seq, time, actor, action, object, details, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, s.t(e.Time), e.Actor, e.Action, e.Object, details,
			e.PrevHash, e.Hash); err != nil {
			return s.fail("append audit entry", err)
		}
		out = e
		return nil
	})
	return out, err
}

// ListAudit returns entries after afterSeq in order.
func (s *Store) ListAudit(ctx context.Context, afterSeq int64, limit int) ([]catalog.AuditEntry, error) {
	if limit <= 0 {
		limit = catalog.MaxLimit
	}
	return queryAll(ctx, s, s.c(), "list audit", `SELECT seq, time, actor, action, object, details, prev_hash, hash
		FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, []any{afterSeq, limit}, scanAudit)
}

func scanAudit(r rowScanner) (catalog.AuditEntry, error) {
	var e catalog.AuditEntry
	err := r.Scan(&e.Seq, timeCol{&e.Time}, &e.Actor, &e.Action, &e.Object, jsonCol{&e.Details},
		bytesCol{&e.PrevHash}, bytesCol{&e.Hash})
	return e, err
}
