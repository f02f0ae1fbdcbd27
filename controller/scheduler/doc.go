// Package scheduler fires backup schedules. One controller replica leads at
// a time, holding the catalog's "scheduler" leader lease with a fencing
// epoch; it renews the lease before every side effect, so a deposed leader
// stops at once.
//
// Each due schedule fires once per fire time: the backups are created with
// idempotency keys derived from (schedule, fire time, source), the run is
// recorded under the unique (schedule, fire time) key, and only then is
// next_run advanced. A crash anywhere in between repeats the fire without
// duplicating backups. Runs missed while no controller ran collapse into
// one catch-up run; with the "skip" overlap policy a schedule whose
// previous backups are still pending or running skips the run.
package scheduler
