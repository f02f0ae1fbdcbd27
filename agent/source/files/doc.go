// Package files is the source driver for file-system trees. Its config is
// {"paths": ["/srv/data", ...], "exclude": ["*.tmp", "/srv/data/cache/**"]}:
// absolute paths to back up and glob patterns to leave out (a pattern with
// a slash matches the whole path, one without matches base names, "**"
// spans directories). Backups go through internal/archiver (incremental
// against the parent snapshot by size, mtime, ctime and inode); restores go
// through internal/restorer into a target directory, below which each
// snapshot path is recreated (/srv/data -> TARGET/srv/data).
package files
