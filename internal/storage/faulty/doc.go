// Package faulty wraps a storage.Backend and injects faults for tests:
// failing the Nth call of an operation, cutting a Save or a download off
// after K bytes (a dropped connection; the inner backend sees a reader
// error, so no object may appear), flipping a bit in downloaded data, and
// delaying calls. Rules are matched by operation and object-name prefix and
// counted per rule, so a test decides exactly which calls misbehave.
package faulty
