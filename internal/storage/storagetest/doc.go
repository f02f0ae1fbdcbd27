// Package storagetest is the conformance suite every storage.Backend driver
// runs: Run checks the contract documented on storage.Backend (atomic saves,
// ranged reads, listing beyond one page, not-found classification, overwrite
// or immutability, failed and cancelled uploads leaving nothing behind,
// concurrency), and Bench measures upload and download throughput.
//
// A driver's test calls it with a constructor that returns an empty backend
// of its own (a fresh directory, bucket or key prefix) for each subtest:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Backend {
//			return newTestBackend(t)
//		}, storagetest.Options{})
//	}
//
// The suite closes every backend it gets when its subtest ends.
package storagetest
