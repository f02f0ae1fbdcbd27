// Package limit wraps a storage.Backend with a concurrency limit (one
// semaphore over all operations) and separate upload and download bandwidth
// limits (golang.org/x/time/rate token buckets applied to the data streams).
//
// An Open holds its concurrency slot until the returned reader is closed,
// and a List holds one until it returns, so a List callback must not call
// the same limited backend when Concurrency is 1, or it waits forever.
package limit
