// Package cli implements the `coffer repo ...` commands: the controller-free
// path that works with nothing but storage and a key. Exit codes are part of
// the contract scripts rely on (see exit.go and docs/OPERATIONS.md).
package cli
