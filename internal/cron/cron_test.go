package cron

import (
	"errors"
	"testing"
	"time"
)

func mustParse(t *testing.T, expr, tz string) *Schedule {
	t.Helper()
	s, err := Parse(expr, tz)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// fires returns the first n fire times after start.
func fires(s *Schedule, start time.Time, n int) []time.Time {
	var out []time.Time
	t := start
	for range n {
		t = s.Next(t)
		out = append(out, t)
	}
	return out
}

func check(t *testing.T, got []time.Time, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d times, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Equal(utc(want[i])) {
			t.Errorf("fire %d = %s, want %s", i, got[i].Format(time.RFC3339), want[i])
		}
	}
}

func TestDailyInZone(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "0 3 * * *", "Europe/Berlin")
	check(t, fires(s, utc("2025-01-10T12:00:00Z"), 2), "2025-01-11T02:00:00Z", "2025-01-12T02:00:00Z")
	// Summer time: 03:00 CEST is 01:00 UTC.
	check(t, fires(s, utc("2025-07-10T12:00:00Z"), 1), "2025-07-11T01:00:00Z")
}

func TestSpringForwardGapFiresOnceAtEndOfGap(t *testing.T) {
	t.Parallel()
	// New York, 2025-03-09: 02:00 EST jumps to 03:00 EDT; 02:30 never exists.
	s := mustParse(t, "30 2 * * *", "America/New_York")
	check(t, fires(s, utc("2025-03-08T12:00:00Z"), 3),
		"2025-03-09T07:00:00Z", // 03:00 EDT, the end of the gap
		"2025-03-10T06:30:00Z", // 02:30 EDT
		"2025-03-11T06:30:00Z")
	// Several wall times in the gap still fire once.
	q := mustParse(t, "*/15 2 * * *", "America/New_York")
	check(t, fires(q, utc("2025-03-09T05:00:00Z"), 2), "2025-03-09T07:00:00Z", "2025-03-10T06:00:00Z")
}

func TestFallBackRepeatedHourFiresOnce(t *testing.T) {
	t.Parallel()
	// New York, 2025-11-02: 02:00 EDT goes back to 01:00 EST; 01:30 happens
	// at 05:30Z and again at 06:30Z. It fires at the first only.
	s := mustParse(t, "30 1 * * *", "America/New_York")
	check(t, fires(s, utc("2025-11-01T12:00:00Z"), 3),
		"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z", "2025-11-04T06:30:00Z")
	// Hourly across the change: 01:00 once, then 02:00 EST.
	h := mustParse(t, "0 * * * *", "America/New_York")
	check(t, fires(h, utc("2025-11-02T03:30:00Z"), 4),
		"2025-11-02T04:00:00Z", // 00:00 EDT
		"2025-11-02T05:00:00Z", // 01:00 EDT
		"2025-11-02T07:00:00Z", // 02:00 EST
		"2025-11-02T08:00:00Z")
}

func TestNextStrictlyAfter(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "*/5 * * * *", "")
	check(t, fires(s, utc("2025-01-01T00:05:00Z"), 2), "2025-01-01T00:10:00Z", "2025-01-01T00:15:00Z")
	check(t, fires(s, utc("2025-01-01T00:04:59Z"), 1), "2025-01-01T00:05:00Z")
}

func TestDayOfMonthOrDayOfWeek(t *testing.T) {
	t.Parallel()
	// Both restricted: the 13th or any Friday (cron's OR rule).
	s := mustParse(t, "0 0 13 * 5", "UTC")
	check(t, fires(s, utc("2025-06-01T00:00:00Z"), 3), "2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z")
	// Only day of week restricted: Mondays.
	m := mustParse(t, "0 0 * * mon", "UTC")
	check(t, fires(m, utc("2025-06-01T00:00:00Z"), 1), "2025-06-02T00:00:00Z")
}

func TestDescriptorsAndLeapDay(t *testing.T) {
	t.Parallel()
	check(t, fires(mustParse(t, "@daily", "Asia/Tokyo"), utc("2025-01-01T00:00:00Z"), 1), "2025-01-01T15:00:00Z")
	check(t, fires(mustParse(t, "0 0 29 2 *", ""), utc("2025-01-01T00:00:00Z"), 1), "2028-02-29T00:00:00Z")
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr, tz string
		want     error
	}{
		{"61 * * * *", "", ErrExpression},
		{"* * *", "", ErrExpression},
		{"@every 5m", "", ErrExpression},
		{"TZ=UTC 0 0 * * *", "", ErrExpression},
		{"0 0 30 2 *", "", ErrExpression}, // never fires
		{"", "", ErrExpression},
		{"0 0 * * *", "Mars/Olympus_Mons", ErrTimezone},
		{"0 0 * * *", "Local", ErrTimezone},
	}
	for _, c := range cases {
		_, err := Parse(c.expr, c.tz)
		if !errors.Is(err, c.want) {
			t.Errorf("Parse(%q, %q) = %v, want %v", c.expr, c.tz, err, c.want)
		}
	}
}
