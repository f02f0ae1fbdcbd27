package cron

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zones must not depend on the host

	rcron "github.com/robfig/cron/v3"
)

// Sentinel errors; Parse wraps them with the offending value.
var (
	ErrExpression = errors.New("invalid cron expression")
	ErrTimezone   = errors.New("invalid time zone")
)

// searchYears bounds the search for a fire time; an expression that never
// matches (30 February) has none.
const searchYears = 5

var parser = rcron.NewParser(rcron.Minute | rcron.Hour | rcron.Dom | rcron.Month | rcron.Dow | rcron.Descriptor)

// Schedule is a parsed expression in a time zone.
type Schedule struct {
	spec *rcron.SpecSchedule
	loc  *time.Location
}

// Parse reads a five-field expression (or a descriptor like @hourly) in the
// IANA zone tz; an empty tz is UTC.
func Parse(expr, tz string) (*Schedule, error) {
	loc, err := LoadZone(tz)
	if err != nil {
		return nil, err
	}
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		return nil, fmt.Errorf("%w %q: give the zone as the timezone, not in the expression", ErrExpression, expr)
	}
	if strings.HasPrefix(e, "@every") {
		return nil, fmt.Errorf("%w %q: @every is an interval, not a cron schedule", ErrExpression, expr)
	}
	s, err := parser.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrExpression, expr, err)
	}
	spec, ok := s.(*rcron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrExpression, expr)
	}
	sched := &Schedule{spec: spec, loc: loc}
	if sched.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("%w %q: it never fires", ErrExpression, expr)
	}
	return sched, nil
}

// LoadZone returns the IANA zone tz ("" is UTC). "Local" is refused: the
// controller's own zone would make schedules depend on where it runs.
func LoadZone(tz string) (*time.Location, error) {
	if tz == "" {
		return time.UTC, nil
	}
	if tz == "Local" {
		return nil, fmt.Errorf("%w %q: name an IANA zone such as Europe/Berlin", ErrTimezone, tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("%w %q: not an IANA zone name", ErrTimezone, tz)
	}
	return loc, nil
}

// Location is the schedule's zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first fire time strictly after after, in UTC, or the
// zero time when there is none within five years.
func (s *Schedule) Next(after time.Time) time.Time {
	local := after.In(s.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	// A gap can move a wall time on the day before after's day past after.
	day = day.AddDate(0, 0, -1)
	end := day.AddDate(searchYears, 0, 0)
	for ; day.Before(end); day = day.AddDate(0, 0, 1) {
		if !s.dayMatches(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if s.spec.Hour&(1<<uint(h)) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				if s.spec.Minute&(1<<uint(m)) == 0 {
					continue
				}
				t := resolve(day.Year(), day.Month(), day.Day(), h, m, s.loc)
				if t.After(after) {
					return t.UTC()
				}
			}
		}
	}
	return time.Time{}
}

// starBit is set by robfig's parser on a field written as "*" or "?".
const starBit = 1 << 63

// dayMatches applies cron's day rule: when both day of month and day of
// week are restricted, either may match; otherwise both must.
func (s *Schedule) dayMatches(day time.Time) bool {
	if s.spec.Month&(1<<uint(day.Month())) == 0 {
		return false
	}
	dom := s.spec.Dom&(1<<uint(day.Day())) != 0
	dow := s.spec.Dow&(1<<uint(day.Weekday())) != 0
	if s.spec.Dom&starBit != 0 || s.spec.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// resolve maps a wall time in loc to an instant: the first occurrence of a
// repeated wall time, or the end of the gap for a skipped one.
func resolve(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
	asUTC := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	var found time.Time
	var later time.Time // candidate from the offset after a transition
	for _, probe := range []time.Time{asUTC.Add(-26 * time.Hour), asUTC.Add(26 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		c := asUTC.Add(-time.Duration(off) * time.Second)
		l := c.In(loc)
		if l.Year() == y && l.Month() == mo && l.Day() == d && l.Hour() == h && l.Minute() == mi {
			if found.IsZero() || c.Before(found) {
				found = c
			}
		}
		if later.IsZero() || c.After(later) {
			later = c
		}
	}
	if !found.IsZero() {
		return found
	}
	// The wall time falls in a gap: fire when the new offset starts.
	start, _ := later.In(loc).ZoneBounds()
	if start.IsZero() {
		return later
	}
	return start
}
