// Package runner executes the job attempts the controller assigns to this
// agent: it opens the repository named in the assignment (storage plus key
// material), hands the work to the source driver for the source's type,
// reports progress at least once a second, and keeps each attempt's result
// until the controller acknowledges it, on disk, so a result survives a
// reconnect and an agent restart.
//
// Attempts are identified by (job ID, attempt, epoch). A CancelJob stops
// an attempt and reports CANCELLED; an AbortJob (or a newer epoch of the
// same job) stops it and silences it for good: nothing more is sent about
// that attempt, not even a result that was already waiting.
//
// Source drivers plug in through the Source interface, which this package
// owns; agent/source/files is the first.
package runner
