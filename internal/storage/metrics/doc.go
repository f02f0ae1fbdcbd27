// Package metrics wraps storage.Backends with Prometheus metrics, labelled
// by backend and operation: requests, errors, uploaded and downloaded bytes
// and a latency histogram. Collectors are registered on the registry the
// caller passes in, never on the global default, and wrapping several
// backends shares one set of collectors distinguished by the backend label.
package metrics
