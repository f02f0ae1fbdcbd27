package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
)

// logicalRoot is where a logical backup's files live in its snapshot.
func logicalRoot(source string) string { return "/postgres/" + source }

func dumpPath(source, db string) string {
	return path.Join(logicalRoot(source), "databases", url.PathEscape(db)+".dump")
}

func (s *Source) backupLogical(ctx context.Context, opts BackupOptions) (*BackupResult, error) {
	opts.Progress(Progress{Phase: "connect", ETA: -1})
	conn, info, err := s.connectInfo(ctx, s.cfg.Database, "coffer backup "+s.cfg.Name)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if p := s.checkTools(ctx, info, "pg_dump", "pg_dumpall"); len(p) > 0 {
		return nil, (&CheckReport{Problems: p}).Err()
	}
	bin := s.binDir(info.major())
	_, toolVersion, err := toolMajor(ctx, filepath.Join(bin, "pg_dump"))
	if err != nil {
		return nil, err
	}
	dbs := s.cfg.Databases
	if len(dbs) == 0 {
		if dbs, err = dumpableDatabases(ctx, conn); err != nil {
			return nil, err
		}
	}
	env, cleanup, err := s.toolEnv(os.TempDir())
	if err != nil {
		return nil, err
	}
	defer cleanup()
	meta := &LogicalMeta{
		Method: MethodLogical, Format: "custom", Stream: s.cfg.Name,
		ServerVersion: info.Version, ServerVersionNum: info.VersionNum, ToolVersion: toolVersion,
		Globals: path.Join(logicalRoot(s.cfg.Name), "globals.sql"),
	}
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&meta.StartTime); err != nil {
		return nil, err
	}
	globalsArgs := []string{"--globals-only", "--no-password"}
	if !info.Superuser {
		globalsArgs = append(globalsArgs, "--no-role-passwords") // pg_authid needs superuser
	}
	streams := []archiver.Stream{{Path: meta.Globals, Open: func(ctx context.Context) (io.ReadCloser, error) {
		return startTool(ctx, toolCommand(ctx, bin, "pg_dumpall", append(env, "PGDATABASE="+s.cfg.Database), globalsArgs...), "pg_dumpall --globals-only", nil)
	}}}
	meta.Databases = make([]DatabaseInfo, len(dbs))
	for i, db := range dbs {
		meta.Databases[i] = DatabaseInfo{Name: db, File: dumpPath(s.cfg.Name, db)}
		d := &meta.Databases[i]
		streams = append(streams, archiver.Stream{Path: d.File, Open: func(ctx context.Context) (io.ReadCloser, error) {
			return s.openDump(ctx, bin, env, d)
		}})
	}
	arch, err := archiver.New(opts.Repo, archiver.Options{
		Workers:  opts.Workers,
		Streams:  streams,
		Progress: func(p archiver.Progress) { opts.Progress(fromArchiver("copy", p)) },
		Now:      s.now,
		Hostname: opts.Hostname, Tags: opts.Tags, Source: s.cfg.Name, Kind: KindLogical,
		BeforeSnapshot: func(ctx context.Context, sn *repo.Snapshot) error {
			if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&meta.StopTime); err != nil {
				return err
			}
			var err error
			sn.Metadata, err = json.Marshal(meta)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	res, err := arch.Backup(ctx, nil, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("logical backup of %s failed, no snapshot saved: %w", s.cfg.Name, err)
	}
	opts.Progress(Progress{Phase: "done", BytesDone: res.Snapshot.Summary.BytesTotal, BytesTotal: res.Snapshot.Summary.BytesTotal, BytesStored: res.Snapshot.Summary.BytesStored})
	return &BackupResult{ID: res.ID, Snapshot: res.Snapshot, Logical: meta, Files: int64(len(streams))}, nil
}

func dumpableDatabases(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// openDump exports a snapshot in a repeatable-read transaction, counts
// every table's rows in it, and starts pg_dump on the same snapshot, so
// the counts describe exactly what the dump holds. The transaction stays
// open until the dump is read (Close).
func (s *Source) openDump(ctx context.Context, bin string, env []string, d *DatabaseInfo) (io.ReadCloser, error) {
	conn, err := s.connect(ctx, d.Name, "coffer dump "+s.cfg.Name)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("dump database %s: %w", d.Name, err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fail(err)
	}
	var snapshot string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return fail(err)
	}
	if d.Tables, err = countTables(ctx, tx); err != nil {
		return fail(err)
	}
	cmd := toolCommand(ctx, bin, "pg_dump", append(env, "PGDATABASE="+d.Name), "--format=custom", "--snapshot="+snapshot, "--no-password")
	rc, err := startTool(ctx, cmd, "pg_dump of database "+d.Name, func() { conn.Close(context.WithoutCancel(ctx)) })
	if err != nil {
		return fail(err)
	}
	return rc, nil
}

// countTables counts the rows of every ordinary table (partitions, not
// their parents) outside the system schemas.
func countTables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}) ([]TableCount, error) {
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND c.relpersistence <> 't'
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
		ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	type table struct{ schema, name string }
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		return t, r.Scan(&t.schema, &t.name)
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make([]TableCount, 0, len(list))
	for _, t := range list {
		var n int64
		if err := q.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{t.schema, t.name}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s.%s: %w", t.schema, t.name, err)
		}
		out = append(out, TableCount{Schema: t.schema, Name: t.name, Rows: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// toolStream is a running tool's stdout. Close closes the pipe (so a tool
// still writing stops), waits for the tool and reports a non-zero exit
// with the end of its stderr: a failed dump fails the backup.
type toolStream struct {
	io.Reader
	pipe   *os.File
	cmd    *exec.Cmd
	what   string
	stderr *tailBuffer
	after  func()
	closed bool
}

func startTool(ctx context.Context, cmd *exec.Cmd, what string, after func()) (io.ReadCloser, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = w, stderr
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start %s: %w", what, err)
	}
	w.Close()
	if after == nil {
		after = func() {}
	}
	return &toolStream{Reader: r, pipe: r, cmd: cmd, what: what, stderr: stderr, after: after}, nil
}

func (t *toolStream) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	t.pipe.Close()
	err := t.cmd.Wait()
	t.after()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%s failed (%v): %s", t.what, ee, t.stderr)
		}
		return fmt.Errorf("%s: %w", t.what, err)
	}
	return nil
}
