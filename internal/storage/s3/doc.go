// Package s3 stores repository objects in an Amazon S3 bucket or any
// S3-compatible store (MinIO, versitygw, Ceph RGW, ...).
//
// Uploads above a threshold go through the SDK's transfer manager as
// multipart uploads with parallel parts; an object becomes visible only when
// its upload completes, so readers never see a prefix. Every upload carries a
// CRC32 content checksum that the server verifies.
//
// With Object Lock configured, each saved object gets a retention period;
// overwriting or removing an object that is still retained fails with an
// error wrapping ErrLocked for which storage.IsPermanent is true.
package s3
