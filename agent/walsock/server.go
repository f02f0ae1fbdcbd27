package walsock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/cofferhq/coffer/agent/runner"
	"github.com/cofferhq/coffer/agent/source/postgres"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/storage"
	"github.com/cofferhq/coffer/internal/storage/all"
)

// maxMessage fits the largest WAL segment PostgreSQL allows (1 GiB) and
// the request around it.
const maxMessage = 1<<30 + 1<<20

// maxOpenRepositories bounds the cache; one agent serves a handful.
const maxOpenRepositories = 32

// Options configure a Server.
type Options struct {
	// OpenStorage opens a repository's storage; default all.Open.
	OpenStorage func(ctx context.Context, url string, opts all.Options) (storage.Backend, error)
	// Pushed is called after every successful push with the repository
	// and stream it went to (the Reporter's Pushed).
	Pushed func(Target)
	// BeforeSave runs before a pushed file is written; for fault-injection
	// tests only.
	BeforeSave func(stream, name string)
	Log        *slog.Logger
}

// Target is one stream in one open repository.
type Target struct {
	// Key identifies the repository and key (a hash, not the key).
	Key string
	// Location is the repository location without credentials.
	Location string
	Repo     *repo.Repository
	Stream   string
}

// Server serves WalSocketService.
type Server struct {
	cofferv1.UnimplementedWalSocketServiceServer
	opts Options
	grpc *grpc.Server

	mu    sync.Mutex
	repos map[string]*openRepo
}

type openRepo struct {
	ready chan struct{} // closed once r or err is set
	r     *repo.Repository
	err   error
}

// NewServer returns a Server; Serve starts it.
func NewServer(opts Options) *Server {
	if opts.OpenStorage == nil {
		opts.OpenStorage = all.Open
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &Server{opts: opts, repos: map[string]*openRepo{}}
	s.grpc = grpc.NewServer(grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	cofferv1.RegisterWalSocketServiceServer(s.grpc, s)
	return s
}

// Serve accepts on ln until Stop.
func (s *Server) Serve(ln net.Listener) error {
	err := s.grpc.Serve(ln)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Stop lets running requests finish for a few seconds, then ends them,
// and closes the cached repositories.
func (s *Server) Stop() {
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.grpc.Stop()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, o := range s.repos {
		<-o.ready
		if o.r != nil {
			o.r.Backend().Close()
		}
		delete(s.repos, k)
	}
}

// Push implements WalSocketService.PushWal.
func (s *Server) PushWal(ctx context.Context, req *cofferv1.PushWalRequest) (*cofferv1.PushWalResponse, error) {
	t, err := s.target(ctx, req.GetRepository(), req.GetStream())
	if err != nil {
		return nil, toStatus(err)
	}
	if s.opts.BeforeSave != nil {
		s.opts.BeforeSave(req.GetStream(), req.GetName())
	}
	res, err := postgres.PushWALData(ctx, t.Repo, req.GetStream(), req.GetName(), req.GetData())
	if err != nil {
		s.opts.Log.Warn("wal push refused or failed", "stream", req.GetStream(), "file", req.GetName(), "err", err)
		return nil, toStatus(err)
	}
	if s.opts.Pushed != nil {
		s.opts.Pushed(t)
	}
	return &cofferv1.PushWalResponse{Object: res.File.Object(), Existed: res.Existed, StoredBytes: res.Stored}, nil
}

// Fetch implements WalSocketService.FetchWal.
func (s *Server) FetchWal(ctx context.Context, req *cofferv1.FetchWalRequest) (*cofferv1.FetchWalResponse, error) {
	t, err := s.target(ctx, req.GetRepository(), req.GetStream())
	if err != nil {
		return nil, toStatus(err)
	}
	f, err := repo.ParseLogFile(req.GetStream(), req.GetName())
	if err != nil {
		return nil, toStatus(err)
	}
	var buf bytesWriter
	if _, err := t.Repo.LoadLogSegment(ctx, f, &buf); err != nil {
		return nil, toStatus(err)
	}
	return &cofferv1.FetchWalResponse{Data: buf.b}, nil
}

type bytesWriter struct{ b []byte }

func (w *bytesWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// target returns the open repository for spec, opening it on first use.
func (s *Server) target(ctx context.Context, spec *cofferv1.WalRepository, stream string) (Target, error) {
	if spec.GetUrl() == "" {
		return Target{}, fmt.Errorf("%w: no repository named", errBadRequest)
	}
	if stream == "" {
		return Target{}, fmt.Errorf("%w: no stream (source name)", errBadRequest)
	}
	key := cacheKey(spec)
	s.mu.Lock()
	o := s.repos[key]
	if o == nil {
		if len(s.repos) >= maxOpenRepositories {
			s.evictOneLocked()
		}
		o = &openRepo{ready: make(chan struct{})}
		s.repos[key] = o
		s.mu.Unlock()
		o.r, o.err = s.open(ctx, spec)
		close(o.ready)
		if o.err != nil { // not cached: the next request tries again
			s.mu.Lock()
			delete(s.repos, key)
			s.mu.Unlock()
		}
	} else {
		s.mu.Unlock()
		select {
		case <-o.ready:
		case <-ctx.Done():
			return Target{}, ctx.Err()
		}
	}
	if o.err != nil {
		return Target{}, o.err
	}
	return Target{Key: key, Location: all.Redact(spec.GetUrl()), Repo: o.r, Stream: stream}, nil
}

func (s *Server) evictOneLocked() {
	for k, o := range s.repos {
		select {
		case <-o.ready:
		default:
			continue // still opening
		}
		if o.r != nil {
			o.r.Backend().Close()
		}
		delete(s.repos, k)
		return
	}
}

func (s *Server) open(ctx context.Context, spec *cofferv1.WalRepository) (*repo.Repository, error) {
	kek, err := kekOf(spec)
	if err != nil {
		return nil, err
	}
	be, err := s.opts.OpenStorage(ctx, spec.GetUrl(), all.Options{SFTPKeyFile: spec.GetSftpKeyFile(), SFTPKnownHosts: spec.GetSftpKnownHosts()})
	if err != nil {
		err = fmt.Errorf("open storage %s: %w", all.Redact(spec.GetUrl()), err)
		if storage.IsNotExist(err) {
			err = fmt.Errorf("%w: %w", repo.ErrRepoNotFound, err)
		}
		return nil, err
	}
	r, err := repo.Open(ctx, be, kek)
	if err != nil {
		be.Close()
		return nil, err
	}
	s.opts.Log.Info("wal socket opened repository", "repository", all.Redact(spec.GetUrl()))
	return r, nil
}

func kekOf(spec *cofferv1.WalRepository) (repo.KEK, error) {
	switch {
	case len(spec.GetKeyFile()) > 0 && len(spec.GetPassphrase()) > 0:
		return nil, fmt.Errorf("%w: give a key file or a passphrase, not both", errBadRequest)
	case len(spec.GetKeyFile()) > 0:
		return runner.KeyFileKEK(spec.GetKeyFile())
	case len(spec.GetPassphrase()) > 0:
		return repo.NewPassphraseKEK(spec.GetPassphrase()), nil
	}
	return nil, fmt.Errorf("%w: no key given", errBadRequest)
}

// cacheKey identifies a repository and the key that opened it; a wrong
// key never shares the entry a right one opened.
func cacheKey(spec *cofferv1.WalRepository) string {
	h := sha256.New()
	for _, p := range [][]byte{[]byte(spec.GetUrl()), spec.GetKeyFile(), spec.GetPassphrase(), []byte(spec.GetSftpKeyFile()), []byte(spec.GetSftpKnownHosts())} {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
