// Package treetest builds file trees with every awkward feature a backup
// must survive (empty files, multi-chunk files, many small files, deep
// nesting, symlinks, hard links, odd modes, old mtimes, non-UTF-8 names) and
// compares two trees byte for byte and metadata for metadata. Tests only.
package treetest
