package sqlstore

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// newID returns a random UUID (version 4) string.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// utc normalises a time to what both engines round-trip: UTC, microseconds.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// t encodes a time argument; the zero time is NULL.
func (s *Store) t(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	v = utc(v)
	if s.d.TimesAsMicros {
		return v.UnixMicro()
	}
	return v
}

// nullStr encodes an optional string: "" is NULL (so unique keys ignore it).
func nullStr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// jsonArg encodes v as JSON text; nil maps and slices become {} or [].
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// mustJSON is jsonArg for values that always encode (maps of strings,
// slices of strings, plain structs).
func mustJSON(v any) string {
	s, err := jsonArg(v)
	if err != nil {
		panic(err)
	}
	return s
}

// timeCol scans a timestamp column stored either natively or as unix
// microseconds; NULL scans as the zero time.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = time.Time{}
	case time.Time:
		*c.p = utc(v)
	case int64:
		*c.p = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("scan time from %T", src)
	}
	return nil
}

// strCol scans a text column where NULL means "".
type strCol struct{ p *string }

func (c strCol) Scan(src any) error {
	var ns sql.NullString
	if err := ns.Scan(src); err != nil {
		return err
	}
	*c.p = ns.String
	return nil
}

// jsonCol scans a JSON (or JSONB) column into p; NULL leaves p zero.
type jsonCol struct{ p any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("scan json from %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, c.p)
}

// bytesCol scans a binary column, copying the driver's buffer.
type bytesCol struct{ p *[]byte }

func (c bytesCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.p = nil
	case []byte:
		*c.p = append([]byte(nil), v...)
	case string:
		*c.p = []byte(v)
	default:
		return fmt.Errorf("scan bytes from %T", src)
	}
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}
