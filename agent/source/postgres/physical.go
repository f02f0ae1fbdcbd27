package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cofferhq/coffer/agent/source/postgres/pgwal"
	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/repo"
)

// backupSession is the connection that holds a non-exclusive backup open.
// If it ends without pg_backup_stop the server aborts the backup itself.
type backupSession struct {
	conn    *pgx.Conn
	log     *slog.Logger
	running bool
}

// stop ends the backup and returns its stop LSN, backup_label and
// tablespace_map. wait_for_archive is false: Coffer waits for the WAL in
// its own repository, with a deadline, instead of inside the server.
func (b *backupSession) stop(ctx context.Context) (lsn pgwal.LSN, label, spcmap string, at time.Time, err error) {
	var text string
	err = b.conn.QueryRow(ctx, `SELECT lsn::text, labelfile, coalesce(spcmapfile, ''), clock_timestamp()
		FROM pg_backup_stop(false)`).Scan(&text, &label, &spcmap, &at)
	b.running = false
	if err != nil {
		return 0, "", "", at, fmt.Errorf("pg_backup_stop: %w", err)
	}
	lsn, err = pgwal.ParseLSN(text)
	return lsn, label, spcmap, at, err
}

// abort stops a backup that failed before pg_backup_stop, even when ctx is
// already cancelled; if that fails too, closing the session makes the
// server abort the backup.
func (b *backupSession) abort(ctx context.Context) {
	if !b.running {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := b.conn.Exec(ctx, "SELECT pg_backup_stop(false)"); err != nil {
		b.log.Warn("pg_backup_stop after a failed backup did not succeed; closing the session so the server aborts the backup", slog.Any("error", err))
	}
	b.running = false
	b.conn.Close(ctx)
}

func (s *Source) backupPhysical(ctx context.Context, opts BackupOptions) (*BackupResult, error) {
	opts.Progress(Progress{Phase: "connect", ETA: -1})
	rep, err := s.Check(ctx)
	if err != nil {
		return nil, err
	}
	if err := rep.Err(); err != nil {
		return nil, fmt.Errorf("physical backup of %s: %w", s.cfg.Name, err)
	}
	conn, err := s.connect(ctx, s.cfg.Database, "coffer backup "+s.cfg.Name)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{"SET statement_timeout = 0", "SET idle_session_timeout = 0", "SET idle_in_transaction_session_timeout = 0"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("prepare backup session: %w", err)
		}
	}
	info, err := readServerInfo(ctx, conn)
	if err != nil {
		return nil, err
	}
	meta := &PhysicalMeta{
		Method: MethodPhysical, Type: "full", Stream: s.cfg.Name,
		ServerVersion: info.Version, ServerVersionNum: info.VersionNum,
		SystemID: strconv.FormatUint(info.SystemID, 10), DataDirectory: s.cfg.DataDir,
		WALSegmentSize: info.SegmentSize, PageChunkSize: s.cfg.PageChunkSize,
	}
	if err := s.checkParent(opts, meta); err != nil {
		return nil, err
	}
	if meta.Tablespaces, err = listTablespaces(ctx, conn); err != nil {
		return nil, err
	}
	if meta.Databases, err = listDatabases(ctx, conn); err != nil {
		return nil, err
	}

	opts.Progress(Progress{Phase: "start", ETA: -1})
	meta.Label = fmt.Sprintf("coffer %s %s", s.cfg.Name, s.now().UTC().Format(time.RFC3339))
	var startText string
	if err := conn.QueryRow(ctx, "SELECT lsn::text, clock_timestamp() FROM pg_backup_start($1, true) AS lsn", meta.Label).Scan(&startText, &meta.StartTime); err != nil {
		return nil, fmt.Errorf("pg_backup_start: %w", err)
	}
	session := &backupSession{conn: conn, log: s.log, running: true}
	defer session.abort(ctx)
	if meta.StartLSN, err = pgwal.ParseLSN(startText); err != nil {
		return nil, err
	}
	s.log.Info("base backup started", slog.String("source", s.cfg.Name), slog.String("startLsn", startText))
	opts.Progress(Progress{Phase: "copy", ETA: -1})

	paths := []string{s.cfg.DataDir}
	var locations []string
	for _, ts := range meta.Tablespaces {
		paths = append(paths, ts.Location)
		locations = append(locations, ts.Location)
	}
	rules := newPGDataRules(s.cfg.DataDir, locations)
	username := ""
	if u, err := user.Current(); err == nil {
		username = u.Username
	}
	arch, err := archiver.New(opts.Repo, archiver.Options{
		Workers:        opts.Workers,
		ExcludeFunc:    rules.exclude,
		FixedChunkSize: rules.chunkSize(s.cfg.PageChunkSize),
		ReadAll:        opts.Delta,
		OnError:        onError,
		Warn: func(path string, err error) {
			// Files change under a running server; WAL replay fixes them.
			s.log.Debug("file changed during base backup", slog.String("path", path), slog.Any("error", err))
		},
		Progress: func(p archiver.Progress) { opts.Progress(fromArchiver("copy", p)) },
		Now:      s.now,
		Hostname: opts.Hostname, Username: username, Tags: opts.Tags,
		Source: s.cfg.Name, Kind: KindPhysical,
		BeforeSnapshot: func(ctx context.Context, sn *repo.Snapshot) error {
			return s.finishPhysical(ctx, opts, session, meta, sn)
		},
	})
	if err != nil {
		return nil, err
	}
	res, err := arch.Backup(ctx, paths, opts.Parent, opts.ParentID)
	if err != nil {
		return nil, fmt.Errorf("physical backup of %s failed, no snapshot saved: %w", s.cfg.Name, err)
	}
	opts.Progress(Progress{Phase: "done", BytesDone: res.Snapshot.Summary.BytesTotal, BytesTotal: res.Snapshot.Summary.BytesTotal, BytesStored: res.Snapshot.Summary.BytesStored})
	files := int64(res.Snapshot.Summary.FilesNew + res.Snapshot.Summary.FilesChanged + res.Snapshot.Summary.FilesUnchanged)
	return &BackupResult{ID: res.ID, Snapshot: res.Snapshot, Physical: meta, Files: files}, nil
}

// finishPhysical runs once every file is stored: pg_backup_stop, then the
// wait until the WAL from the start to the stop LSN is in the repository.
// Only then is the snapshot written.
func (s *Source) finishPhysical(ctx context.Context, opts BackupOptions, session *backupSession, meta *PhysicalMeta, sn *repo.Snapshot) error {
	opts.Progress(Progress{Phase: "stop", ETA: -1})
	var err error
	meta.StopLSN, meta.BackupLabel, meta.TablespaceMap, meta.StopTime, err = session.stop(ctx)
	if err != nil {
		return err
	}
	label, err := pgwal.ParseBackupLabel([]byte(meta.BackupLabel))
	if err != nil {
		return err
	}
	meta.Timeline = label.Timeline
	seg := meta.WALSegmentSize
	startSeg, stopSeg := meta.StartLSN.SegNo(seg), meta.StopLSN.SegNoEnd(seg)
	meta.StartWAL = pgwal.SegmentFileName(meta.Timeline, startSeg, seg)
	meta.StopWAL = pgwal.SegmentFileName(meta.Timeline, stopSeg, seg)
	s.log.Info("base backup stopped; waiting for its WAL", slog.String("source", s.cfg.Name),
		slog.String("stopLsn", meta.StopLSN.String()), slog.String("stopWal", meta.StopWAL))
	opts.Progress(Progress{Phase: "wal", ETA: -1})
	if err := s.waitForWAL(ctx, opts.Repo, session.conn, meta.Timeline, startSeg, stopSeg, seg); err != nil {
		return err
	}
	if opts.Parent != nil {
		meta.Type = "incremental"
	}
	if opts.Delta {
		meta.Type = "delta"
	}
	sn.Metadata, err = json.Marshal(meta)
	if sn.Summary != nil {
		sn.Summary.End = s.now() // the backup ends when its WAL is safe
	}
	return err
}

// waitForWAL polls the repository until segments [first, last] of tl are
// archived, switching WAL once so a quiet server does not keep the last
// one open. On timeout the error says what the archiver last reported.
func (s *Source) waitForWAL(ctx context.Context, r *repo.Repository, conn *pgx.Conn, tl uint32, first, last, segSize uint64) error {
	missing := map[uint64]bool{}
	for n := first; n <= last; n++ {
		missing[n] = true
	}
	start := time.Now()
	deadline := start.Add(s.cfg.walTimeout())
	switched := false
	for {
		for n := range missing {
			f, err := repo.ParseLogFile(s.cfg.Name, pgwal.SegmentFileName(tl, n, segSize))
			if err != nil {
				return err
			}
			_, err = r.StatLogSegment(ctx, f)
			if err == nil {
				delete(missing, n)
			} else if !errors.Is(err, repo.ErrLogNotFound) {
				return fmt.Errorf("check archived WAL: %w", err)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if !switched && time.Since(start) > 2*time.Second {
			// The stop segment is normally switched out by pg_backup_stop.
			if _, err := conn.Exec(ctx, "SELECT pg_switch_wal()"); err != nil {
				return fmt.Errorf("pg_switch_wal: %w", err)
			}
			switched = true
		}
		if time.Now().After(deadline) {
			var need uint64 = last
			for n := range missing {
				need = min(need, n)
			}
			return fmt.Errorf("backup incomplete: WAL segment %s (one of %d the backup needs) is not in the repository after %s; %s",
				pgwal.SegmentFileName(tl, need, segSize), len(missing), s.cfg.walTimeout(), archiverStatus(ctx, conn))
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// archiverStatus summarises pg_stat_archiver for an error message.
func archiverStatus(ctx context.Context, conn *pgx.Conn) string {
	var failed int64
	var lastFailed, lastArchived string
	var failedAt *time.Time
	err := conn.QueryRow(ctx, `SELECT failed_count, coalesce(last_failed_wal, ''), last_failed_time, coalesce(last_archived_wal, '')
		FROM pg_stat_archiver`).Scan(&failed, &lastFailed, &failedAt, &lastArchived)
	if err != nil {
		return "pg_stat_archiver unreadable: " + err.Error()
	}
	msg := fmt.Sprintf("pg_stat_archiver: last archived %q, %d failures", lastArchived, failed)
	if lastFailed != "" && failedAt != nil {
		msg += fmt.Sprintf(", last failed %q at %s; check archive_command and the server log", lastFailed, failedAt.UTC().Format(time.RFC3339))
	}
	return msg
}

// checkParent refuses a parent that is not a physical backup of this
// cluster (the archiver would reuse files of another one).
func (s *Source) checkParent(opts BackupOptions, meta *PhysicalMeta) error {
	if opts.Parent == nil {
		return nil
	}
	pm, err := DecodeMeta(opts.Parent)
	if err != nil || pm.Physical == nil {
		return fmt.Errorf("parent snapshot is not a physical PostgreSQL backup: %v", err)
	}
	if pm.Physical.SystemID != meta.SystemID || pm.Physical.DataDirectory != meta.DataDirectory {
		return fmt.Errorf("parent snapshot is a backup of another cluster (system identifier %s, data directory %s; this one is %s, %s)",
			pm.Physical.SystemID, pm.Physical.DataDirectory, meta.SystemID, meta.DataDirectory)
	}
	return nil
}

func listTablespaces(ctx context.Context, conn *pgx.Conn) ([]Tablespace, error) {
	rows, err := conn.Query(ctx, `SELECT oid::int8, spcname, pg_tablespace_location(oid) FROM pg_tablespace
		WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY oid`)
	if err != nil {
		return nil, fmt.Errorf("list tablespaces: %w", err)
	}
	var out []Tablespace
	for rows.Next() {
		var oid int64
		var t Tablespace
		if err := rows.Scan(&oid, &t.Name, &t.Location); err != nil {
			return nil, fmt.Errorf("list tablespaces: %w", err)
		}
		t.OID = uint32(oid)
		out = append(out, t)
	}
	return out, rows.Err()
}

func listDatabases(ctx context.Context, conn *pgx.Conn) ([]DatabaseInfo, error) {
	rows, err := conn.Query(ctx, "SELECT datname, oid::int8 FROM pg_database ORDER BY datname")
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var out []DatabaseInfo
	for rows.Next() {
		var oid int64
		var d DatabaseInfo
		if err := rows.Scan(&d.Name, &oid); err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		d.OID = uint32(oid)
		out = append(out, d)
	}
	return out, rows.Err()
}
