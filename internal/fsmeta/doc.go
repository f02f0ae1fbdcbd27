// Package fsmeta converts between file-system objects and repository nodes:
// it captures a node's metadata (type, mode, owner, times, links, extended
// attributes) from lstat and applies it back on restore, exactly and without
// following symlinks. It is Linux/Unix specific by nature.
package fsmeta
