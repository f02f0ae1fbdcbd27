// Package archiver turns file-system trees into snapshots: it walks paths,
// reuses the parent snapshot's chunk lists for unchanged files (incremental),
// chunks changed files and hands the chunks to a worker pool that hashes,
// deduplicates, compresses and encrypts them through the repository, while
// a tree saver assembles directories bottom-up. Memory is bounded by the
// number of chunks in flight, not by the size of the data set.
package archiver
