package postgres

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cofferhq/coffer/internal/repo"
)

// VerifyOptions configure a restore test (validateOnly): the backup is
// restored into a throwaway server in a private directory, started,
// checked and removed.
type VerifyOptions struct {
	Repo       *repo.Repository
	SnapshotID repo.ID
	Snapshot   *repo.Snapshot
	// RestoreCommand replays WAL for physical backups (see WALFetchCommand).
	RestoreCommand string
	// WorkDir is where the throwaway directory is made (default the
	// system temporary directory); it needs room for the whole restore.
	WorkDir string
	// BinDir holds postgres and initdb (default
	// /usr/lib/postgresql/<backup's major version>/bin).
	BinDir string
	// Timeout bounds recovery (default 30 minutes).
	Timeout  time.Duration
	Progress func(Progress)
	Step     func(name, status, message string)
}

// VerifyResult is what the restore test found.
type VerifyResult struct {
	Method string
	// RecoveryTime is from the start of the restore until the server
	// accepted connections out of recovery: the measured recovery time.
	RecoveryTime time.Duration
	RecoveredTo  *time.Time
	Databases    []string
	Tables       int
	Rows         int64
}

// Verify runs a restore test of a snapshot this driver wrote. Any check
// that fails makes it return an error naming what differs.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyResult, error) {
	m, err := DecodeMeta(o.Snapshot)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Step == nil {
		o.Step = func(string, string, string) {}
	}
	if m.Physical != nil {
		return verifyPhysical(ctx, o, m.Physical)
	}
	return verifyLogical(ctx, o, m.Logical)
}

func serverBinDir(o VerifyOptions, versionNum int) string {
	if o.BinDir != "" {
		return o.BinDir
	}
	return fmt.Sprintf("/usr/lib/postgresql/%d/bin", versionNum/10000)
}

func verifyPhysical(ctx context.Context, o VerifyOptions, m *PhysicalMeta) (*VerifyResult, error) {
	start := time.Now()
	node, err := findNode(ctx, o.Repo, o.Snapshot.Tree, m.DataDirectory)
	if err != nil {
		return nil, err
	}
	uid, gid := int(node.UID), int(node.GID)
	if os.Geteuid() != 0 {
		uid, gid = os.Getuid(), os.Getgid()
	}
	dir, err := privateDir(o.WorkDir, "coffer-verify-", uid, gid)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	id := o.SnapshotID
	_, err = RestorePhysical(ctx, RestoreOptions{
		Repo: o.Repo, Stream: m.Stream, Snapshot: &id, Target: filepath.Join(dir, "data"),
		Recovery:      RecoveryTarget{Kind: TargetImmediate},
		TablespaceDir: filepath.Join(dir, "tblspc"), RestoreCommand: o.RestoreCommand,
		DisableArchiving: true, Progress: o.Progress, Step: o.Step,
	})
	if err != nil {
		return nil, err
	}
	o.Step(StepWALReplay, "running", "starting a throwaway server to replay to the consistency point")
	in, err := startInstance(serverBinDir(o, m.ServerVersionNum), filepath.Join(dir, "data"), dir, uid, gid, candidateUsers(uid))
	if err != nil {
		return nil, err
	}
	defer in.stop()
	res := &VerifyResult{Method: MethodPhysical}
	if res.RecoveredTo, err = in.waitPromoted(ctx, o.Timeout); err != nil {
		o.Step(StepWALReplay, "failed", err.Error())
		return nil, err
	}
	res.RecoveryTime = time.Since(start)
	o.Step(StepWALReplay, "completed", "")
	var want []string
	for _, d := range m.Databases {
		want = append(want, d.Name)
	}
	if err := checkInstance(ctx, in, want, nil, res); err != nil {
		return res, err
	}
	return res, nil
}

func candidateUsers(uid int) []string {
	users := []string{"postgres"}
	if name := userName(uid); name != "" && name != "postgres" {
		users = append(users, name)
	}
	return users
}

// checkInstance compares the databases with the backup's list and reads
// every table of every database; tables with recorded counts must match.
func checkInstance(ctx context.Context, in *instance, wantDBs []string, counts map[string][]TableCount, res *VerifyResult) error {
	conn, err := in.connect(ctx, "postgres")
	if err != nil {
		return fmt.Errorf("restored server does not accept connections: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database ORDER BY 1")
	if err != nil {
		conn.Close(ctx)
		return err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	conn.Close(ctx)
	if err != nil {
		return err
	}
	res.Databases = got
	var problems []string
	have := map[string]bool{}
	for _, d := range got {
		have[d] = true
	}
	for _, d := range wantDBs {
		if !have[d] {
			problems = append(problems, fmt.Sprintf("database %s is missing", d))
		}
	}
	for _, db := range got {
		if db == "template0" {
			continue
		}
		p, err := checkDatabase(ctx, in, db, counts[db], res)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("restore test found %d problems: %s", len(problems), strings.Join(problems, "; "))
	}
	return nil
}

// checkDatabase counts every table (reading all of it) and compares with
// recorded counts where there are some.
func checkDatabase(ctx context.Context, in *instance, db string, want []TableCount, res *VerifyResult) ([]string, error) {
	conn, err := in.connect(ctx, db)
	if err != nil {
		return []string{fmt.Sprintf("database %s does not accept connections: %v", db, err)}, nil
	}
	defer conn.Close(context.WithoutCancel(ctx))
	got, err := countTables(ctx, conn)
	if err != nil {
		return []string{fmt.Sprintf("database %s: %v", db, err)}, nil
	}
	res.Tables += len(got)
	byName := map[string]int64{}
	for _, t := range got {
		res.Rows += t.Rows
		byName[t.Schema+"."+t.Name] = t.Rows
	}
	var problems []string
	for _, w := range want {
		n, ok := byName[w.Schema+"."+w.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: table %s.%s is missing", db, w.Schema, w.Name))
		case n != w.Rows:
			problems = append(problems, fmt.Sprintf("%s: table %s.%s has %d rows, the backup recorded %d", db, w.Schema, w.Name, n, w.Rows))
		}
	}
	return problems, nil
}

func verifyLogical(ctx context.Context, o VerifyOptions, m *LogicalMeta) (*VerifyResult, error) {
	start := time.Now()
	uid, gid, _, err := serviceUser()
	if err != nil {
		return nil, err
	}
	dir, err := privateDir(o.WorkDir, "coffer-verify-", uid, gid)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := serverBinDir(o, m.ServerVersionNum)
	o.Step(StepValidation, "running", "initdb of a throwaway server")
	data := filepath.Join(dir, "data")
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	cmd.Dir = dir
	asUser(cmd, uid, gid)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb of the throwaway server: %v: %s", err, out)
	}
	o.Step(StepValidation, "completed", "")
	in, err := startInstance(bin, data, dir, uid, gid, []string{"postgres"})
	if err != nil {
		return nil, err
	}
	defer in.stop()
	if _, err := in.waitPromoted(ctx, o.Timeout); err != nil {
		return nil, err
	}
	local, err := NewSource(Config{Name: m.Stream, Host: dir, Port: instancePort, User: "postgres", Database: "template1", Method: MethodLogical, BinDir: bin}, "")
	if err != nil {
		return nil, err
	}
	counts := map[string][]TableCount{}
	var want []string
	for _, d := range m.Databases {
		want = append(want, d.Name)
		counts[d.Name] = d.Tables
		if _, err := local.RestoreLogical(ctx, LogicalRestoreOptions{
			Repo: o.Repo, Snapshot: o.Snapshot, Database: d.Name, TargetDatabase: d.Name,
			Overwrite: d.Name == "postgres", NoOwner: true, WorkDir: o.WorkDir, Progress: o.Progress, Step: o.Step,
		}); err != nil {
			return nil, err
		}
	}
	res := &VerifyResult{Method: MethodLogical, RecoveryTime: time.Since(start)}
	return res, checkInstance(ctx, in, want, counts, res)
}

func asUser(cmd *exec.Cmd, uid, gid int) {
	if os.Geteuid() != 0 {
		return
	}
	cmd.SysProcAttr = sysProcAs(uid, gid)
}
