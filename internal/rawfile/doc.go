// Package rawfile opens regular files without registering them with Go's
// network poller. os.OpenFile spends several extra system calls per open
// (fcntl and a failing epoll_ctl) on that, which dominates when a restore
// or a local repository opens hundreds of thousands of small files.
package rawfile
