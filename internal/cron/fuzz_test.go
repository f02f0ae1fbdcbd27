package cron

import (
	"testing"
	"time"
)

// FuzzParse: expressions and zones arrive from the API.
func FuzzParse(f *testing.F) {
	f.Add("*/5 1-3 * jan-mar mon", "Europe/Berlin")
	f.Add("@weekly", "")
	f.Fuzz(func(t *testing.T, expr, tz string) {
		s, err := Parse(expr, tz)
		if err != nil {
			return
		}
		from := time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC)
		if n := s.Next(from); !n.After(from) {
			t.Fatalf("Next(%v) = %v, not after", from, n)
		}
	})
}
