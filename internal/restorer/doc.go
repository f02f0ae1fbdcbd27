// Package restorer writes a snapshot's tree back to a directory. The walker
// groups chunks, in tree order, into batches (many small files, or a slice
// of a large one); a pool of workers loads each batch with one ranged read
// per run of neighbouring chunks in a pack (repo.LoadBlobs), authenticates
// and decompresses them in parallel and writes them under a temporary name.
// Files are renamed into place only when every byte has been verified, so
// a failed restore never leaves a file with unauthenticated or missing
// content under its real name. Metadata is applied after content (through
// the open descriptor for files written whole); directories last, deepest
// first.
package restorer
