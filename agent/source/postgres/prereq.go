package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// minPhysicalMajor: physical backups call pg_backup_start/pg_backup_stop,
// which PostgreSQL 15 introduced.
const minPhysicalMajor = 15

// CheckReport is the outcome of Check: what the server is, and every
// prerequisite that is not met, each with what to do about it.
type CheckReport struct {
	ServerVersion string
	DataDirectory string
	Problems      []string
}

// ErrPrerequisites is wrapped by backups refused because Check failed.
var ErrPrerequisites = errors.New("prerequisites not met")

// Err returns nil when nothing is wrong, else one error listing every
// problem.
func (r *CheckReport) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  - %s", ErrPrerequisites, strings.Join(r.Problems, "\n  - "))
}

// Check connects and verifies what the configured method needs: for
// physical backups wal_level, archive_mode, archive_command, the data
// directory and its permissions, the server version and the backup
// functions' privileges; for logical ones the dump tools' version.
func (s *Source) Check(ctx context.Context) (*CheckReport, error) {
	conn, info, err := s.connectInfo(ctx, s.cfg.Database, "coffer check "+s.cfg.Name)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rep := &CheckReport{ServerVersion: info.Version, DataDirectory: info.DataDirectory}
	if s.cfg.Method == MethodLogical {
		rep.Problems = append(rep.Problems, s.checkTools(ctx, info, "pg_dump", "pg_dumpall", "pg_restore")...)
		return rep, nil
	}
	rep.Problems = append(rep.Problems, s.checkArchiving(info)...)
	rep.Problems = append(rep.Problems, s.checkDataDir(info)...)
	rep.Problems = append(rep.Problems, checkBackupPrivileges(ctx, conn, info, s.cfg.User)...)
	return rep, nil
}

func (s *Source) checkArchiving(info serverInfo) []string {
	var p []string
	if info.major() < minPhysicalMajor {
		p = append(p, fmt.Sprintf("server version %s is not supported for physical backups: Coffer uses pg_backup_start/pg_backup_stop (PostgreSQL %d or later)", info.Version, minPhysicalMajor))
	}
	if info.WALLevel != "replica" && info.WALLevel != "logical" {
		p = append(p, fmt.Sprintf("wal_level is %q: physical backups and point-in-time recovery need wal_level = replica (or logical); set it in postgresql.conf and restart PostgreSQL", info.WALLevel))
	}
	if info.ArchiveMode != "on" && info.ArchiveMode != "always" {
		p = append(p, fmt.Sprintf("archive_mode is %q: set archive_mode = on in postgresql.conf and restart PostgreSQL", info.ArchiveMode))
	}
	want := fmt.Sprintf("'coffer wal-push --source %s --repo REPO --key-file KEYFILE %%p'", s.cfg.Name)
	switch {
	case info.ArchiveLib != "":
		p = append(p, fmt.Sprintf("archive_library is %q: Coffer archives through archive_command; clear archive_library and set archive_command = %s, then reload PostgreSQL", info.ArchiveLib, want))
	case info.ArchiveCmd == "" || info.ArchiveCmd == "(disabled)":
		p = append(p, fmt.Sprintf("archive_command is not set: set archive_command = %s and reload PostgreSQL", want))
	case !strings.Contains(info.ArchiveCmd, "wal-push"):
		p = append(p, fmt.Sprintf("archive_command is %q, which does not call coffer wal-push: set archive_command = %s and reload PostgreSQL", info.ArchiveCmd, want))
	default:
		if src := flagValue(info.ArchiveCmd, "--source"); src != s.cfg.Name {
			p = append(p, fmt.Sprintf("archive_command archives under source %q, not %q: set --source %s in archive_command and reload PostgreSQL", src, s.cfg.Name, s.cfg.Name))
		}
		if !strings.Contains(info.ArchiveCmd, "%p") {
			p = append(p, fmt.Sprintf("archive_command %q does not pass the file path %%p", info.ArchiveCmd))
		}
	}
	return p
}

// flagValue finds "--flag value" or "--flag=value" in a shell command line
// (good enough for the commands Coffer documents; quotes are stripped).
func flagValue(cmdline, flag string) string {
	fields := strings.Fields(cmdline)
	for i, f := range fields {
		if v, ok := strings.CutPrefix(f, flag+"="); ok {
			return strings.Trim(v, `'"`)
		}
		if f == flag && i+1 < len(fields) {
			return strings.Trim(fields[i+1], `'"`)
		}
	}
	return ""
}

func (s *Source) checkDataDir(info serverInfo) []string {
	var p []string
	mine, err1 := filepath.EvalSymlinks(s.cfg.DataDir)
	theirs, err2 := filepath.EvalSymlinks(info.DataDirectory)
	switch {
	case err1 != nil:
		return append(p, fmt.Sprintf("cannot read the data directory %s: %v; run the agent on the database host as the postgres user or root, or grant group read access (initdb --allow-group-access)", s.cfg.DataDir, err1))
	case err2 == nil && mine != theirs:
		p = append(p, fmt.Sprintf("dataDir is %s but the server's data_directory is %s: point dataDir at the server's data directory", s.cfg.DataDir, info.DataDirectory))
	}
	for _, f := range []string{"PG_VERSION", filepath.Join("global", "pg_control")} {
		fh, err := os.Open(filepath.Join(s.cfg.DataDir, f))
		if err != nil {
			p = append(p, fmt.Sprintf("cannot read %s in the data directory: %v; run the agent as the postgres user or root, or grant group read access (initdb --allow-group-access)", f, err))
			break
		}
		fh.Close()
	}
	return p
}

func checkBackupPrivileges(ctx context.Context, conn *pgx.Conn, info serverInfo, user string) []string {
	if info.Superuser || info.major() < minPhysicalMajor {
		return nil
	}
	var start, stop, sw bool
	err := conn.QueryRow(ctx, `SELECT has_function_privilege('pg_backup_start(text, boolean)', 'EXECUTE'),
		has_function_privilege('pg_backup_stop(boolean)', 'EXECUTE'),
		has_function_privilege('pg_switch_wal()', 'EXECUTE')`).Scan(&start, &stop, &sw)
	if err != nil {
		return []string{fmt.Sprintf("cannot check backup privileges: %v", err)}
	}
	if start && stop && sw {
		return nil
	}
	return []string{fmt.Sprintf("user %s may not run the backup functions: GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean), pg_switch_wal() TO %s (or connect as a superuser)", user, user)}
}

func (s *Source) checkTools(ctx context.Context, info serverInfo, tools ...string) []string {
	var p []string
	dir := s.binDir(info.major())
	for _, tool := range tools {
		major, _, err := toolMajor(ctx, filepath.Join(dir, tool))
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("%s not usable in %s (%v): install postgresql-client-%d or set binDir", tool, dir, err, info.major()))
		case major < info.major():
			p = append(p, fmt.Sprintf("%s %d is older than the PostgreSQL %d server and cannot dump it: install postgresql-client-%d or set binDir", tool, major, info.major(), info.major()))
		}
	}
	return p
}
