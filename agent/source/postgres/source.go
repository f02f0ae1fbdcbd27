package postgres

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cofferhq/coffer/internal/repo"
)

// Source is a configured PostgreSQL source. It holds the password (if
// any) but never prints it.
type Source struct {
	cfg      Config
	password string
	now      func() time.Time
	log      *slog.Logger
}

// NewSource checks cfg (filling defaults) and returns a source. password
// may be empty (trust, peer, passfile or certificate authentication).
func NewSource(cfg Config, password string) (*Source, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("postgres source: a name is required (WAL is archived under it)")
	}
	if _, err := repo.ParseLogFile(cfg.Name, "00000001.history"); err != nil {
		return nil, fmt.Errorf("postgres source name: %w", err)
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, password: password, now: time.Now, log: slog.Default()}, nil
}

// Config returns the checked configuration.
func (s *Source) Config() Config { return s.cfg }

// SetClock replaces time.Now (tests).
func (s *Source) SetClock(now func() time.Time) { s.now = now }

// SetLogger sets the logger for progress and warnings.
func (s *Source) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// String describes the source without its password.
func (s *Source) String() string {
	return fmt.Sprintf("postgres source %s (%s port %d, user %s, %s)", s.cfg.Name, s.cfg.Host, s.cfg.Port, s.cfg.User, s.cfg.Method)
}
