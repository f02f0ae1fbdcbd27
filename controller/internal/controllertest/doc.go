// Package controllertest starts real controllers (SQLite catalog in a temp
// directory, loopback ports) for the controller packages' tests, and talks
// to them the way users and agents do: REST with a bearer token, gRPC with
// mTLS after a real enrollment.
package controllertest
