// Package mem is an in-memory storage.Backend for tests and for fast unit
// tests of the repository. It keeps every object in a map guarded by a
// mutex, copies nothing on read (stored slices are never modified) and
// honours the same contract as the disk and cloud drivers, which the shared
// storagetest suite checks. An optional immutable mode refuses overwrites
// the way an object-locked bucket does.
package mem
