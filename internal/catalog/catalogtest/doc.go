// Package catalogtest is the conformance suite every catalog.Store
// implementation must pass. An engine's tests call Run with a function that
// opens a fresh, empty store, and Bench for the ListBackups benchmark.
//
// The suite never sleeps: it reads the database clock once and moves time by
// passing later instants into the lease operations.
package catalogtest
