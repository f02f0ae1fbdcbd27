// Package pgwal reads what Coffer needs from PostgreSQL's write-ahead log
// files without a server: LSNs and segment names, the timestamps of the
// commit and abort records in a segment (so the archive knows which times it
// can recover to), timeline history files and backup labels.
//
// It decodes page headers and record headers of WAL format 15 (magic
// 0xD110) and the formats around it that share the record layout. Every
// decoder treats its input as untrusted: bad bytes end the scan, never
// panic.
package pgwal
