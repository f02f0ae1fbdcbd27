// Package sftp stores repository objects as files on an SSH server through
// the SFTP subsystem.
//
// The server's host key must be listed in a known_hosts file (by default
// ~/.ssh/known_hosts); an unknown or changed key is a permanent error unless
// Config.InsecureIgnoreHostKey allows it explicitly. Clients authenticate
// with a private key file or a password.
//
// Save writes a hidden temporary file beside the target and renames it into
// place (posix-rename@openssh.com where the server offers it), so readers
// see a whole object or none; List never shows temporary files.
package sftp
