package sftp

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/cofferhq/coffer/internal/storage"
)

// conn holds one SSH connection with its SFTP session, redialled on demand
// after the server drops it.
type conn struct {
	addr   string
	sshCfg *ssh.ClientConfig
	cfg    *Config

	mu          sync.Mutex
	ssh         *ssh.Client
	client      *sftp.Client
	posixRename bool
	fsync       bool
	closed      bool
}

func newConn(cfg *Config) (*conn, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	check, algos, err := hostKeyCheck(cfg, addr)
	if err != nil {
		return nil, storage.Permanent(addr, err)
	}
	auth, err := authMethods(cfg)
	if err != nil {
		return nil, storage.Permanent(addr, err)
	}
	return &conn{addr: addr, cfg: cfg, sshCfg: &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              auth,
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
		Timeout:           cfg.Timeout,
	}}, nil
}

// session is the open SFTP client and what the server supports.
type session struct {
	*sftp.Client
	posixRename bool
	fsync       bool
}

// get returns the live session, dialling if there is none. The SFTP client
// takes no contexts, so every operation checks ctx here first.
func (c *conn) get(ctx context.Context) (session, error) {
	if err := ctx.Err(); err != nil {
		return session{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return session{}, storage.Permanent(c.addr, fmt.Errorf("sftp: backend closed"))
	}
	if c.client != nil {
		return session{c.client, c.posixRename, c.fsync}, nil
	}
	d := net.Dialer{Timeout: c.cfg.Timeout}
	tcp, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return session{}, fmt.Errorf("sftp: connect %s: %w", c.addr, err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(tcp, c.addr, c.sshCfg)
	if err != nil {
		tcp.Close()
		// Host key and authentication failures do not heal by retrying.
		return session{}, storage.Permanent(c.addr, fmt.Errorf("ssh handshake: %w", err))
	}
	sshClient := ssh.NewClient(sc, chans, reqs)
	client, err := sftp.NewClient(sshClient,
		sftp.UseConcurrentWrites(true),
		sftp.UseConcurrentReads(true),
		sftp.MaxConcurrentRequestsPerFile(c.cfg.Concurrency))
	if err != nil {
		sshClient.Close()
		return session{}, fmt.Errorf("sftp: start subsystem on %s: %w", c.addr, err)
	}
	_, c.posixRename = client.HasExtension("posix-rename@openssh.com")
	_, c.fsync = client.HasExtension("fsync@openssh.com")
	c.ssh, c.client = sshClient, client
	go func() {
		// When the connection dies, forget it so the next call redials.
		_ = client.Wait()
		c.drop(client)
	}()
	return session{client, c.posixRename, c.fsync}, nil
}

func (c *conn) drop(client *sftp.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != client {
		return
	}
	c.client.Close()
	c.ssh.Close()
	c.client, c.ssh = nil, nil
}

func (c *conn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.client == nil {
		return nil
	}
	err := c.client.Close()
	c.ssh.Close()
	c.client, c.ssh = nil, nil
	return err
}
