// Package storage defines the Backend contract that every repository store
// (local disk, memory, S3, Azure Blob, GCS, SFTP) implements, plus the error
// classification callers rely on. Drivers live in sub-packages and stay plain;
// retry, limits, metrics and fault injection are wrappers around the interface.
package storage
