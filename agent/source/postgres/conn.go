package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// dsnQuote quotes a libpq keyword/value connection string value.
func dsnQuote(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

// connConfig is the pgx configuration for database db. The password is set
// on the config, never written into the connection string.
func (s *Source) connConfig(db, app string) (*pgx.ConnConfig, error) {
	parts := []string{
		"host=" + dsnQuote(s.cfg.Host),
		"port=" + strconv.Itoa(s.cfg.Port),
		"user=" + dsnQuote(s.cfg.User),
		"dbname=" + dsnQuote(db),
		"application_name=" + dsnQuote(app),
		"connect_timeout=30",
	}
	if s.cfg.SSLMode != "" {
		parts = append(parts, "sslmode="+dsnQuote(s.cfg.SSLMode))
	}
	if s.cfg.Passfile != "" {
		parts = append(parts, "passfile="+dsnQuote(s.cfg.Passfile))
	}
	cc, err := pgx.ParseConfig(strings.Join(parts, " "))
	if err != nil {
		return nil, fmt.Errorf("connection settings of source %s: %w", s.cfg.Name, err)
	}
	if s.password != "" {
		cc.Password = s.password
	}
	return cc, nil
}

// connect opens a connection to db named app in pg_stat_activity.
func (s *Source) connect(ctx context.Context, db, app string) (*pgx.Conn, error) {
	cc, err := s.connConfig(db, app)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL at %s port %d as %s (database %s): %w", s.cfg.Host, s.cfg.Port, s.cfg.User, db, err)
	}
	return conn, nil
}

// connectInfo connects like connect and reads the server's settings; the
// caller closes the connection.
func (s *Source) connectInfo(ctx context.Context, db, app string) (*pgx.Conn, serverInfo, error) {
	conn, err := s.connect(ctx, db, app)
	if err != nil {
		return nil, serverInfo{}, err
	}
	info, err := readServerInfo(ctx, conn)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, serverInfo{}, err
	}
	return conn, info, nil
}

// serverInfo is what the driver reads about the server before a backup.
type serverInfo struct {
	VersionNum    int    // server_version_num, e.g. 150004
	Version       string // server_version
	DataDirectory string
	SegmentSize   uint64
	SystemID      uint64
	WALLevel      string
	ArchiveMode   string
	ArchiveCmd    string
	ArchiveLib    string
	Superuser     bool
}

func (i serverInfo) major() int { return i.VersionNum / 10000 }

func readServerInfo(ctx context.Context, conn *pgx.Conn) (serverInfo, error) {
	var i serverInfo
	var segSize string
	err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_version'),
		current_setting('data_directory'), current_setting('wal_segment_size'),
		(SELECT system_identifier FROM pg_control_system()),
		current_setting('wal_level'), current_setting('archive_mode'), current_setting('archive_command'),
		coalesce(current_setting('archive_library', true), ''),
		(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`).Scan(
		&i.VersionNum, &i.Version, &i.DataDirectory, &segSize, &i.SystemID,
		&i.WALLevel, &i.ArchiveMode, &i.ArchiveCmd, &i.ArchiveLib, &i.Superuser)
	if err != nil {
		return i, fmt.Errorf("read server settings: %w", err)
	}
	if i.SegmentSize, err = parseSize(segSize); err != nil {
		return i, fmt.Errorf("wal_segment_size %q: %w", segSize, err)
	}
	return i, nil
}

// parseSize parses PostgreSQL's memory units as SHOW prints them ("16MB").
func parseSize(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(num), 10, 64)
			return n * u.mult, err
		}
	}
	return strconv.ParseUint(s, 10, 64)
}
