// Package testserver starts the real storage servers that the remote backend
// tests run against: versitygw (S3), Azurite (Azure Blob), fake-gcs-server
// (GCS) and OpenSSH's sshd (SFTP). Each listens on a free loopback port with
// its data in a temporary directory.
//
// The shared servers (S3, Azure, GCS, SFTP) start once per test binary on
// first use; TestMain stops them through Main. The Start* variants give a test
// its own instance that it may Stop and Restart to inject faults.
//
// A missing server binary fails the test with a message naming
// scripts/deps/storage-servers.sh; with COFFER_ALLOW_SKIP=1 it skips instead.
package testserver
