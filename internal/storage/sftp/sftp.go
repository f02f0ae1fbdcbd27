package sftp

import (
	"context"
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
)

// tmpPrefix marks files being uploaded; List hides them.
const tmpPrefix = ".coffer-tmp-"

// Backend is a storage.Backend on one directory of an SFTP server.
type Backend struct {
	cfg  Config
	conn *conn
}

// New connects and checks that the repository directory exists.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	return open(ctx, cfg, false)
}

// Create is New that first creates the repository directory if needed.
func Create(ctx context.Context, cfg Config) (*Backend, error) {
	return open(ctx, cfg, true)
}

func open(ctx context.Context, cfg Config, create bool) (*Backend, error) {
	if err := cfg.validate(); err != nil {
		return nil, storage.Permanent("sftp", err)
	}
	cfg.withDefaults()
	c, err := newConn(&cfg)
	if err != nil {
		return nil, err
	}
	b := &Backend{cfg: cfg, conn: c}
	s, err := c.get(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", b.Location(), err)
	}
	if create {
		if err := s.MkdirAll(cfg.Path); err != nil {
			c.close()
			return nil, fmt.Errorf("create %s: %w", b.Location(), classify(cfg.Path, err))
		}
	}
	fi, err := s.Stat(cfg.Path)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("not a directory")
	}
	if err != nil {
		c.close()
		return nil, storage.Permanent(b.Location(), fmt.Errorf("repository directory %s: %w", cfg.Path, err))
	}
	return b, nil
}

// Location is sftp://user@host:port/path; never a password.
func (b *Backend) Location() string {
	p := b.cfg.Path
	if !strings.HasPrefix(p, "/") {
		p = "/~/" + strings.TrimPrefix(p, ".")
		p = strings.TrimSuffix(p, "/")
	}
	return "sftp://" + b.cfg.User + "@" + net.JoinHostPort(b.cfg.Host, strconv.Itoa(b.cfg.Port)) + p
}

// Close closes the connection.
func (b *Backend) Close() error { return b.conn.close() }

func (b *Backend) path(name string) string { return path.Join(b.cfg.Path, name) }

// name turns a server path back into an object name.
func (b *Backend) name(p string) (string, bool) {
	if b.cfg.Path == "." {
		return p, p != "." && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "../")
	}
	root := strings.TrimSuffix(b.cfg.Path, "/") + "/"
	return strings.CutPrefix(p, root)
}
