// Package gcs stores repository objects in a Google Cloud Storage bucket (or
// an emulator such as fake-gcs-server).
//
// Save streams through a resumable upload in ChunkSize pieces with the
// client's automatic CRC32C checksum; GCS finalizes the object only when the
// last piece arrives, so readers see the whole object or none of it.
// Credentials come from a service-account JSON file, or Application Default
// Credentials when none is given; an Endpoint (an emulator) needs none.
package gcs
