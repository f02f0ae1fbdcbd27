// Package memlimit gives a backup process a soft memory limit sized to its
// bounded working set, so its peak footprint next to a database stays flat
// however much data it reads. The Go runtime otherwise lets the heap grow to
// twice the live set between collections, and how high the live set was at
// the last collection varies from run to run.
package memlimit
