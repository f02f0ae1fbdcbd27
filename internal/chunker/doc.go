// Package chunker splits a byte stream into content-defined chunks with
// FastCDC (gear rolling hash, normalized chunking).
//
// Cut points depend only on the content, so an insertion early in a file
// moves only the chunks around it and the rest deduplicate. The gear table is
// derived from a per-repository secret, so the chunk boundaries (and with them
// the chunk sizes visible on storage) do not reveal which known content a
// repository holds.
package chunker
