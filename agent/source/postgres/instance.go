package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// instance is a throwaway PostgreSQL server Coffer runs itself to test a
// restore. It listens only on a Unix socket in a private directory, with
// trust authentication from there alone, so nothing else can reach it.
type instance struct {
	bin, dataDir, dir string
	logPath           string
	uid, gid          int
	users             []string // role names to try when connecting
	cmd               *exec.Cmd
	done              chan struct{}
}

const instancePort = 5432 // the socket is in a private directory

// startInstance starts postgres on dataDir as uid/gid (when root). dir is
// a private directory for the socket, the hba file and the log.
func startInstance(bin, dataDir, dir string, uid, gid int, users []string) (*instance, error) {
	in := &instance{bin: bin, dataDir: dataDir, dir: dir, logPath: filepath.Join(dir, "postgres.log"), uid: uid, gid: gid, users: users}
	hba := filepath.Join(dir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all all trust\n"), 0o600); err != nil {
		return nil, err
	}
	if err := chownIfRoot(hba, uid, gid); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(in.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", dataDir,
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+dir, "-c", "port="+strconv.Itoa(instancePort),
		"-c", "hba_file="+hba, "-c", "archive_mode=off", "-c", "logging_collector=off")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	in.cmd, in.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(in.done) }()
	return in, nil
}

func chownIfRoot(path string, uid, gid int) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Chown(path, uid, gid)
}

// connect tries each candidate role until one exists.
func (in *instance) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	var last error
	for _, u := range in.users {
		cc, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s dbname=%s application_name='coffer verify'",
			dsnQuote(in.dir), instancePort, dsnQuote(u), dsnQuote(db)))
		if err != nil {
			return nil, err
		}
		conn, err := pgx.ConnectConfig(ctx, cc)
		if err == nil {
			return conn, nil
		}
		last = err
		if !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "database") {
			break
		}
	}
	return nil, last
}

// waitPromoted waits until the server accepts connections and has left
// recovery, and returns the time of the last transaction it replayed.
func (in *instance) waitPromoted(ctx context.Context, timeout time.Duration) (*time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		select {
		case <-in.done:
			return nil, fmt.Errorf("the restored server exited during recovery:\n%s", in.logTail(20))
		default:
		}
		conn, err := in.connect(ctx, "postgres")
		if err == nil {
			var inRecovery bool
			var replayed *time.Time
			err = conn.QueryRow(ctx, "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp()").Scan(&inRecovery, &replayed)
			conn.Close(context.WithoutCancel(ctx))
			if err == nil && !inRecovery {
				return replayed, nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the restored server did not finish recovery in %s (%v):\n%s", timeout, last, in.logTail(20))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop shuts the server down (fast), killing it if it does not stop.
func (in *instance) stop() {
	if in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-in.done:
	case <-time.After(60 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.done
	}
	in.cmd = nil
}

func (in *instance) logTail(n int) string {
	b, _ := os.ReadFile(in.logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serviceUser is the account throwaway clusters run as when Coffer runs
// as root (initdb and postgres refuse root).
func serviceUser() (int, int, string, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return 0, 0, "", err
		}
		return os.Getuid(), os.Getgid(), u.Username, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return 0, 0, "", errors.New("running as root, and there is no postgres system user to run a test server as")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid, u.Username, nil
}

// privateDir makes a directory for a throwaway server owned by uid/gid.
func privateDir(parent, pattern string, uid, gid int) (string, error) {
	dir, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	return dir, chownIfRoot(dir, uid, gid)
}

func sysProcAs(uid, gid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}

// userName is the login name of uid, or "".
func userName(uid int) string {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return ""
	}
	return u.Username
}
