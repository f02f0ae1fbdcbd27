package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/internal/repo"
	"github.com/cofferhq/coffer/internal/restorer"
)

// RestoreOptions configure a physical restore.
type RestoreOptions struct {
	Repo *repo.Repository
	// Stream is the source name the backups and WAL are stored under.
	Stream string
	// Snapshot overrides the automatic choice of base backup.
	Snapshot *repo.ID
	// Target is the new data directory. It must be missing or empty
	// unless Overwrite is set, which first empties it (never while a
	// server runs on it).
	Target    string
	Overwrite bool
	Recovery  RecoveryTarget
	// TablespaceDir relocates every tablespace to TablespaceDir/<oid>;
	// TablespaceMap relocates single ones. Others go back to their
	// original location, which must then be missing or empty.
	TablespaceDir string
	TablespaceMap map[uint32]string
	// RestoreCommand is written as restore_command (see WALFetchCommand).
	// Required: even the consistency point needs the backup's own WAL.
	RestoreCommand string
	// VerifyWAL reads and authenticates every archived segment the
	// replay will need before any file is written, so a damaged segment
	// stops the restore at validation, not hours later during replay.
	VerifyWAL bool
	// DisableArchiving writes archive_mode = off, so a throwaway restore
	// (a test, a verification) does not archive a new timeline into the
	// stream it came from.
	DisableArchiving bool
	Progress         func(Progress)
	// Step reports the recovery plan's steps (validation, extraction,
	// restoration, wal replay) as running/completed/failed/skipped.
	Step func(name, status, message string)
	Now  func() time.Time
}

// RestoreResult is a restored data directory, ready to start.
type RestoreResult struct {
	Plan   *Plan
	Target string
	Files  uint64
	Bytes  uint64
}

// Step names, as the recovery status shows them.
const (
	StepValidation  = "validation"
	StepExtraction  = "extraction"
	StepRestoration = "restoration"
	StepWALReplay   = "wal replay"
)

// ErrTargetNotEmpty means the target directory holds files and
// overwriting was not asked for.
var ErrTargetNotEmpty = errors.New("restore target is not empty")

// RestorePhysical restores a base backup into a data directory and writes
// the recovery settings that make PostgreSQL replay archived WAL to the
// target when it starts. It does not start the server.
func RestorePhysical(ctx context.Context, o RestoreOptions) (*RestoreResult, error) {
	if o.Step == nil {
		o.Step = func(string, string, string) {}
	}
	if o.Progress == nil {
		o.Progress = func(Progress) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Step(StepValidation, "running", "choosing the base backup and checking the archived WAL")
	plan, err := validateRestore(ctx, o)
	if err != nil {
		o.Step(StepValidation, "failed", err.Error())
		return nil, err
	}
	o.Step(StepValidation, "completed", fmt.Sprintf("base backup %s (ended %s), %s", plan.Backup.ID.Short(),
		plan.Backup.Meta.StopTime.UTC().Format(time.RFC3339), plan.Target))

	o.Step(StepExtraction, "running", "restoring files to "+o.Target)
	res, err := extract(ctx, o, plan)
	if err != nil {
		o.Step(StepExtraction, "failed", err.Error())
		return nil, err
	}
	o.Step(StepExtraction, "completed", fmt.Sprintf("%d files, %d bytes", res.Files, res.Bytes))

	o.Step(StepRestoration, "running", "writing backup_label, tablespace_map and recovery settings")
	if err := writeRecovery(o, plan); err != nil {
		o.Step(StepRestoration, "failed", err.Error())
		return nil, err
	}
	if err := syncRestored(o, plan); err != nil {
		o.Step(StepRestoration, "failed", err.Error())
		return nil, err
	}
	o.Step(StepRestoration, "completed", "start PostgreSQL on "+o.Target+" to replay WAL")
	return res, nil
}

func validateRestore(ctx context.Context, o RestoreOptions) (*Plan, error) {
	if o.Target == "" || !filepath.IsAbs(o.Target) {
		return nil, fmt.Errorf("restore target %q: want an absolute directory", o.Target)
	}
	if o.RestoreCommand == "" {
		return nil, errors.New("restore of a physical backup needs a restore_command (coffer wal-fetch) to replay WAL")
	}
	if err := checkEmpty(o.Target, o.Overwrite); err != nil {
		return nil, err
	}
	plan, err := PlanRestore(ctx, o.Repo, o.Stream, o.Recovery, o.Snapshot)
	if err != nil {
		return nil, err
	}
	for _, ts := range plan.Backup.Meta.Tablespaces {
		if err := checkEmpty(tablespaceDest(o, ts), o.Overwrite); err != nil {
			return nil, fmt.Errorf("tablespace %s: %w", ts.Name, err)
		}
	}
	if o.VerifyWAL {
		if err := VerifyPlanWAL(ctx, o.Repo, plan); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// checkEmpty accepts a missing or empty directory, or with overwrite any
// directory no server is running on.
func checkEmpty(dir string, overwrite bool) error {
	names, err := readNames(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore target %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil
	}
	if !overwrite {
		return fmt.Errorf("%w: %s holds %d entries; choose a new directory or overwrite it", ErrTargetNotEmpty, dir, len(names))
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); err == nil {
		return fmt.Errorf("restore target %s has a postmaster.pid: stop the server running on it first", dir)
	}
	return nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func tablespaceDest(o RestoreOptions, ts Tablespace) string {
	if d, ok := o.TablespaceMap[ts.OID]; ok {
		return d
	}
	if o.TablespaceDir != "" {
		return filepath.Join(o.TablespaceDir, strconv.FormatUint(uint64(ts.OID), 10))
	}
	return ts.Location
}

// extract writes the data directory and tablespaces from the snapshot.
func extract(ctx context.Context, o RestoreOptions, plan *Plan) (*RestoreResult, error) {
	m := plan.Backup.Meta
	res := &RestoreResult{Plan: plan, Target: o.Target}
	dirs := []struct{ snapPath, dest string }{{m.DataDirectory, o.Target}}
	for _, ts := range m.Tablespaces {
		dirs = append(dirs, struct{ snapPath, dest string }{ts.Location, tablespaceDest(o, ts)})
	}
	for _, d := range dirs {
		if o.Overwrite {
			if err := emptyDir(d.dest); err != nil {
				return nil, err
			}
		}
		node, err := findNode(ctx, o.Repo, plan.Backup.Snapshot.Tree, d.snapPath)
		if err != nil {
			return nil, err
		}
		// Directories created above the target belong to the server's
		// user too, or it could not reach its files.
		if err := mkdirOwned(filepath.Dir(d.dest), int(node.UID), int(node.GID)); err != nil {
			return nil, err
		}
		// Sync: like pg_basebackup and pgBackRest, every file and
		// directory is on disk before the restore reports success.
		rs := restorer.New(o.Repo, restorer.Options{Sync: true, Progress: func(p restorer.Progress) {
			o.Progress(Progress{Phase: StepExtraction, BytesDone: res.Bytes + p.BytesWritten, FilesDone: res.Files + p.FilesDone, Rate: p.Rate, ETA: p.ETA})
		}})
		pr, err := rs.Restore(ctx, &repo.Snapshot{Tree: *node.Subtree}, d.dest)
		if err != nil {
			return nil, fmt.Errorf("restore %s to %s: %w", d.snapPath, d.dest, err)
		}
		res.Files += pr.FilesDone
		res.Bytes += pr.BytesWritten
		if err := applyDirMeta(d.dest, node); err != nil {
			return nil, err
		}
	}
	for _, ts := range m.Tablespaces {
		link := filepath.Join(o.Target, "pg_tblspc", strconv.FormatUint(uint64(ts.OID), 10))
		os.Remove(link)
		if err := os.Symlink(tablespaceDest(o, ts), link); err != nil {
			return nil, fmt.Errorf("tablespace link: %w", err)
		}
		lchownLike(link, o.Target)
	}
	return res, nil
}

// syncRestored makes what was written after the files durable too: the
// recovery files, the tablespace links (pg_tblspc) and the root
// directories (whose mode changed) with the directories above them, which
// may have been created. The restorer has fsynced everything it wrote.
func syncRestored(o RestoreOptions, plan *Plan) error {
	paths := []string{
		filepath.Join(o.Target, "backup_label"), filepath.Join(o.Target, "recovery.signal"),
		filepath.Join(o.Target, "postgresql.auto.conf"),
		filepath.Join(o.Target, "pg_wal", "archive_status"), filepath.Join(o.Target, "pg_wal"),
	}
	if len(plan.Backup.Meta.Tablespaces) > 0 {
		paths = append(paths, filepath.Join(o.Target, "tablespace_map"), filepath.Join(o.Target, "pg_tblspc"))
	}
	roots := []string{o.Target}
	for _, ts := range plan.Backup.Meta.Tablespaces {
		roots = append(roots, tablespaceDest(o, ts))
	}
	paths = append(paths, roots...)
	for _, p := range paths {
		if err := restorer.SyncPath(p); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	// Directories above a root hold its entry if it was created; one we
	// may not open (not created by us, then) is left alone.
	for _, root := range roots {
		for d := filepath.Dir(root); ; d = filepath.Dir(d) {
			if err := restorer.SyncPath(d); err != nil && !errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("restore: %w", err)
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return nil
}

func emptyDir(dir string) error {
	names, err := readNames(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("empty %s: %w", dir, err)
		}
	}
	return nil
}

// findNode walks the snapshot tree to the directory at absolute path p.
func findNode(ctx context.Context, r *repo.Repository, root repo.ID, p string) (*repo.Node, error) {
	id := root
	var node *repo.Node
	for _, part := range strings.Split(strings.Trim(filepath.Clean(p), "/"), "/") {
		tr, err := r.LoadTree(ctx, id)
		if err != nil {
			return nil, err
		}
		node = nil
		for i := range tr.Nodes {
			if string(tr.Nodes[i].Name) == part {
				node = &tr.Nodes[i]
			}
		}
		if node == nil || node.Type != repo.NodeDir || node.Subtree == nil {
			return nil, fmt.Errorf("snapshot has no directory %s", p)
		}
		id = *node.Subtree
	}
	if node == nil {
		return nil, fmt.Errorf("snapshot has no directory %s", p)
	}
	return node, nil
}

// applyDirMeta gives a restored root directory the data directory's
// owner and mode 0700, which PostgreSQL insists on.
func applyDirMeta(dir string, n *repo.Node) error {
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, int(n.UID), int(n.GID)); err != nil {
			return fmt.Errorf("restore %s: %w", dir, err)
		}
	}
	return os.Chmod(dir, 0o700)
}

// lchownLike gives path the owner of ref (files Coffer writes into a
// restored data directory must belong to the server's user).
func lchownLike(path, ref string) {
	if os.Geteuid() != 0 {
		return
	}
	if uid, gid, ok := ownerOf(ref); ok {
		_ = os.Lchown(path, uid, gid)
	}
}

// mkdirOwned creates dir and its missing parents, giving the ones it
// creates to uid/gid when running as root.
func mkdirOwned(dir string, uid, gid int) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !os.IsExist(err) {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}
		if err := chownIfRoot(missing[i], uid, gid); err != nil {
			return fmt.Errorf("create %s: %w", missing[i], err)
		}
	}
	return nil
}
