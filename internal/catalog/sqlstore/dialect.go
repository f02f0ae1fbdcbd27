package sqlstore

import (
	"strconv"
	"strings"
)

// Dialect is what one SQL engine does differently.
type Dialect struct {
	// Name appears in errors, e.g. "postgres".
	Name string
	// NumberedPlaceholders rewrites ? to $1, $2, ... (PostgreSQL).
	NumberedPlaceholders bool
	// NowSQL selects the database clock as one value: a timestamp, or
	// unix microseconds when TimesAsMicros.
	NowSQL string
	// TimesAsMicros stores times as integer unix microseconds (SQLite has
	// no timestamp type); otherwise times are native timestamps.
	TimesAsMicros bool
	// SkipLocked is appended to ClaimJob's SELECT so concurrent claimers
	// skip rows another transaction holds (PostgreSQL). Engines whose
	// write transactions are serialised (SQLite, BEGIN IMMEDIATE) leave it
	// empty.
	SkipLocked string
	// ForUpdate is appended to SELECTs that read a row before changing it.
	ForUpdate string
	// LockAuditSQL runs at the start of AppendAudit's transaction to
	// serialise appends; empty when transactions are already serialised.
	LockAuditSQL string
	// MigrationLockSQL runs at the start of the migration transaction so
	// concurrent starts apply each migration once.
	MigrationLockSQL string
	// IsUniqueViolation and IsForeignKeyViolation classify driver errors.
	IsUniqueViolation     func(error) bool
	IsForeignKeyViolation func(error) bool
}

// rebind converts ? placeholders to the dialect's syntax. Queries in this
// package never contain a literal ? inside strings.
func (d *Dialect) rebind(q string) string {
	if !d.NumberedPlaceholders {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
