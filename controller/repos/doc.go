// Package repos is the controller's direct access to repositories: it
// checks or initialises a storage location's repository when the location
// is registered, keeps the location's repository key, and removes the
// snapshot manifest of a deleted backup. Backups and restores themselves
// run on agents; the controller never moves backup data.
//
// A location's repository key is a key-file KEK (32 random bytes, written
// as 64 hex characters) kept in the location's sealed credentials under
// "repositoryKey". Agents receive it in RepositorySpec.key_material, only
// over the mTLS channel.
package repos
