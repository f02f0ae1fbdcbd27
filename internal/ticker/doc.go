// Package ticker runs a callback periodically until stopped: the progress
// reporting loop shared by backups and restores.
package ticker
