// Package cron reads five-field cron expressions in an IANA time zone and
// computes their fire times with well-defined daylight-saving behaviour.
//
// Parsing is robfig/cron's standard parser (fields, ranges, steps, names,
// descriptors such as @daily). Fire times are computed here, on the wall
// clock of the schedule's zone:
//
//   - A wall time that does not exist (the hour skipped when clocks go
//     forward) fires once, at the first instant after the gap.
//   - A wall time that occurs twice (the hour repeated when clocks go back)
//     fires once, at its first occurrence.
//
// The zone database is embedded (time/tzdata), so zones work on hosts
// without /usr/share/zoneinfo.
package cron
