package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
)

// LogicalRestoreOptions configure restoring one database of a logical
// backup into a server (the source's connection settings).
type LogicalRestoreOptions struct {
	Repo     *repo.Repository
	Snapshot *repo.Snapshot
	// Database is the dumped database to restore; it may be empty when the
	// backup holds only one.
	Database string
	// TargetDatabase is created and restored into (default: Database).
	// An existing one is an error unless Overwrite, which drops it first.
	TargetDatabase string
	Overwrite      bool
	// Jobs is pg_restore --jobs (default: the source's jobs setting).
	Jobs int
	// NoOwner skips restoring ownership (pg_restore --no-owner), for
	// servers without the original roles.
	NoOwner bool
	// WorkDir holds the downloaded dump (pg_restore --jobs needs a
	// seekable file); default the system temporary directory.
	WorkDir  string
	Progress func(Progress)
	Step     func(name, status, message string)
}

// LogicalRestoreResult reports a finished logical restore.
type LogicalRestoreResult struct {
	Database       string
	TargetDatabase string
	// Tables are the recorded tables with the row counts found after the
	// restore; a mismatch is an error.
	Tables []TableCount
}

// ErrTargetExists means the target database exists and overwriting was
// not asked for.
var ErrTargetExists = errors.New("target database exists")

// RestoreLogical downloads the dump to a temporary file, creates the
// target database and runs pg_restore --jobs into it, then checks every
// recorded table's row count.
func (s *Source) RestoreLogical(ctx context.Context, o LogicalRestoreOptions) (*LogicalRestoreResult, error) {
	if o.Step == nil {
		o.Step = func(string, string, string) {}
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
	o.Step(StepValidation, "running", "")
	m, err := DecodeMeta(o.Snapshot)
	if err != nil || m.Logical == nil {
		err = fmt.Errorf("not a logical PostgreSQL backup: %v", err)
		o.Step(StepValidation, "failed", err.Error())
		return nil, err
	}
	db, err := pickDatabase(m.Logical, o.Database)
	if err != nil {
		o.Step(StepValidation, "failed", err.Error())
		return nil, err
	}
	target := o.TargetDatabase
	if target == "" {
		target = db.Name
	}
	o.Step(StepValidation, "completed", fmt.Sprintf("database %s into %s", db.Name, target))

	o.Step(StepExtraction, "running", "downloading "+db.File)
	work, err := os.MkdirTemp(o.WorkDir, "coffer-pg-restore-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	rs := restorer.New(o.Repo, restorer.Options{Include: []string{db.File}, Progress: func(p restorer.Progress) {
		o.Progress(Progress{Phase: StepExtraction, BytesDone: p.BytesWritten, BytesTotal: p.BytesTotal, Rate: p.Rate, ETA: p.ETA})
	}})
	if _, err := rs.Restore(ctx, o.Snapshot, work); err != nil {
		o.Step(StepExtraction, "failed", err.Error())
		return nil, fmt.Errorf("download dump of %s: %w", db.Name, err)
	}
	dump := filepath.Join(work, filepath.FromSlash(db.File))
	o.Step(StepExtraction, "completed", "")

	o.Step(StepRestoration, "running", "pg_restore into "+target)
	if err := s.pgRestore(ctx, o, dump, target, work); err != nil {
		o.Step(StepRestoration, "failed", err.Error())
		return nil, err
	}
	o.Step(StepRestoration, "completed", "")
	res := &LogicalRestoreResult{Database: db.Name, TargetDatabase: target}
	res.Tables, err = s.checkCounts(ctx, target, db.Tables)
	return res, err
}

func pickDatabase(m *LogicalMeta, name string) (DatabaseInfo, error) {
	var names []string
	for _, d := range m.Databases {
		if d.Name == name || (name == "" && len(m.Databases) == 1) {
			return d, nil
		}
		names = append(names, d.Name)
	}
	if name == "" {
		return DatabaseInfo{}, fmt.Errorf("the backup holds %d databases %v: name the one to restore", len(names), names)
	}
	return DatabaseInfo{}, fmt.Errorf("the backup has no database %q (it holds %v)", name, names)
}

func (s *Source) pgRestore(ctx context.Context, o LogicalRestoreOptions, dump, target, work string) error {
	conn, info, err := s.connectInfo(ctx, s.cfg.Database, "coffer restore "+s.cfg.Name)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", target).Scan(&exists); err != nil {
		return err
	}
	ident := pgx.Identifier{target}.Sanitize()
	if exists {
		if !o.Overwrite {
			return fmt.Errorf("%w: %s; choose another name or overwrite it", ErrTargetExists, target)
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", target, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database %s: %w", target, err)
	}
	env, cleanup, err := s.toolEnv(work)
	if err != nil {
		return err
	}
	defer cleanup()
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = s.cfg.Jobs
	}
	// The target goes in a connection string keyword, so an unusual
	// database name is never parsed as a connection string itself.
	args := []string{"--jobs=" + strconv.Itoa(jobs), "--no-password", "--exit-on-error", "--dbname=dbname=" + dsnQuote(target)}
	if o.NoOwner {
		args = append(args, "--no-owner", "--no-acl")
	}
	args = append(args, dump)
	cmd := toolCommand(ctx, s.binDir(info.major()), "pg_restore", env, args...)
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore into %s failed (%v): %s", target, err, stderr)
	}
	return nil
}

// checkCounts compares row counts in the restored database with those
// the backup recorded.
func (s *Source) checkCounts(ctx context.Context, db string, want []TableCount) ([]TableCount, error) {
	conn, err := s.connect(ctx, db, "coffer restore check "+s.cfg.Name)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	got := make([]TableCount, 0, len(want))
	var bad []string
	for _, w := range want {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{w.Schema, w.Name}.Sanitize()).Scan(&n); err != nil {
			bad = append(bad, fmt.Sprintf("%s.%s: %v", w.Schema, w.Name, err))
			continue
		}
		got = append(got, TableCount{Schema: w.Schema, Name: w.Name, Rows: n})
		if n != w.Rows {
			bad = append(bad, fmt.Sprintf("%s.%s has %d rows, the backup recorded %d", w.Schema, w.Name, n, w.Rows))
		}
	}
	if len(bad) > 0 {
		return got, fmt.Errorf("restored database %s does not match the backup: %v", db, bad)
	}
	return got, nil
}
