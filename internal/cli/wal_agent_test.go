package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/walsock"
	"github.com/cofferhq/coffer/internal/pgtest"
	"github.com/cofferhq/coffer/internal/repo"
)

// agentSocket is a WAL socket server, as the agent runs it, on a socket
// the postgres user can reach; it records the files pushed through it.
type agentSocket struct {
	path string
	srv  *walsock.Server
	done chan struct{}

	mu     sync.Mutex
	pushed []string
	block  chan struct{} // when set, the next push waits on it
	enter  chan struct{} // closed when a push starts waiting
}

func startAgentSocket(t *testing.T) *agentSocket {
	t.Helper()
	a := &agentSocket{path: filepath.Join(pgtest.TempDir(t, "coffer-sock-"), "agent.sock"), done: make(chan struct{})}
	ln, err := walsock.Listen(a.path, postgresGroup(t))
	if err != nil {
		t.Fatal(err)
	}
	a.srv = walsock.NewServer(walsock.Options{BeforeSave: a.beforeSave})
	go func() { defer close(a.done); a.srv.Serve(ln) }()
	t.Cleanup(a.stop)
	return a
}

func (a *agentSocket) beforeSave(_, name string) {
	a.mu.Lock()
	a.pushed = append(a.pushed, name)
	block, enter := a.block, a.enter
	a.block = nil
	a.mu.Unlock()
	if block != nil {
		close(enter)
		<-block
	}
}

func (a *agentSocket) stop() {
	select {
	case <-a.done:
	default:
		a.srv.Stop()
		<-a.done
	}
}

func (a *agentSocket) saw(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.pushed {
		if n == name {
			return true
		}
	}
	return false
}

// postgresGroup is the postgres user's group name, given access to the
// socket the way a deployment would (WALSocketGroup).
func postgresGroup(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return ""
	}
	c, err := pgtest.PostgresUser()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(strconv.Itoa(int(c.GID)))
	if err != nil {
		t.Fatal(err)
	}
	return g.Name
}

// TestArchiveCommandThroughAgentSocket: archive_command hands segments to
// the agent; an agent lost during a push and an agent that is down both
// leave archiving to the direct path, with no segment lost or doubled; the
// same segment twice is accepted and a different one refused through the
// agent; fetching through the agent and directly gives the same bytes; a
// segment deleted from the repository shows in the archive report as a
// gap.
func TestArchiveCommandThroughAgentSocket(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	agent := startAgentSocket(t)
	bin := pgtest.CofferBinary(t)
	repoArgs := []string{"--source", "main", "--repo", rp.Dir, "--key-file", rp.KeyFile}
	settings := pgtest.ArchiveSettings(t, rp, "main")
	settings["archive_command"] = fmt.Sprintf("'%s wal-push --source main --repo %s --key-file %s --agent-socket %s %%p'", bin, rp.Dir, rp.KeyFile, agent.path)
	settings["wal_keep_size"] = "'1GB'"
	c := pgtest.New(t, pgtest.Options{Settings: settings})
	c.Exec(t, "postgres", "CREATE TABLE t (id int, v text)")

	var names []string
	for range 3 {
		names = append(names, switchWAL(t, c))
	}
	waitArchived(t, c, names[2])
	for _, n := range names {
		if !agent.saw(n) {
			t.Fatalf("%s was not archived through the agent", n)
		}
	}
	// The agent here is this test process (root); deployed, it runs as the
	// database's OS user so both paths can use a local repository's files.
	if err := pgtest.Chown(rp.Dir); err != nil {
		t.Fatal(err)
	}

	// Through the agent: the same segment again is accepted, different
	// bytes under its name are refused.
	seg := filepath.Join(c.DataDir, "pg_wal", names[0])
	viaAgent := append([]string{"wal-push", "-v", "--agent-socket", agent.path}, repoArgs...)
	if _, stderr, code := coffer(t, append(viaAgent, seg)...); code != 0 || !strings.Contains(stderr, "already archived (same content) via the agent") {
		t.Fatalf("second push through the agent: exit %d: %s", code, stderr)
	}
	forged := filepath.Join(c.Dir, names[0])
	data, _ := os.ReadFile(seg)
	data[len(data)-1] ^= 0xff
	if err := os.WriteFile(forged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := coffer(t, append(viaAgent, forged)...)
	if code != 1 || !strings.Contains(stderr, "different file with this name is already archived") {
		t.Fatalf("conflicting push through the agent: exit %d, stderr %q", code, stderr)
	}

	// Fetching through the agent and directly: the bytes in pg_wal.
	want, _ := os.ReadFile(filepath.Join(c.DataDir, "pg_wal", names[1]))
	for _, sock := range []string{agent.path, ""} {
		dest := filepath.Join(c.Dir, "fetched-"+strconv.Itoa(len(sock)))
		args := append(append([]string{"wal-fetch", "--agent-socket", sock}, repoArgs...), names[1], dest)
		if _, stderr, code := coffer(t, args...); code != 0 {
			t.Fatalf("wal-fetch (socket %q): exit %d: %s", sock, code, stderr)
		}
		if got, _ := os.ReadFile(dest); len(want) == 0 || !bytes.Equal(got, want) {
			t.Fatalf("wal-fetch (socket %q) gave other bytes than pg_wal's copy", sock)
		}
	}

	// The agent goes away while it holds a push: wal-push repeats it
	// directly and PostgreSQL sees it archived once.
	block, enter := make(chan struct{}), make(chan struct{})
	agent.mu.Lock()
	agent.block, agent.enter = block, enter
	agent.mu.Unlock()
	names = append(names, switchWAL(t, c))
	select {
	case <-enter:
	case <-time.After(60 * time.Second):
		t.Fatal("the agent never received the push")
	}
	stopped := make(chan struct{})
	go func() { agent.stop(); close(stopped) }()
	waitArchived(t, c, names[3])
	close(block)
	<-stopped
	if !strings.Contains(c.Log(), "writing the repository directly") {
		t.Fatalf("no fallback after losing the agent in the log:\n%s", c.LogTail(20))
	}

	// The agent is down (its socket is gone): archiving goes on directly.
	if _, err := os.Stat(agent.path); !os.IsNotExist(err) {
		t.Fatalf("socket still there after the agent stopped: %v", err)
	}
	for range 2 {
		names = append(names, switchWAL(t, c))
	}
	waitArchived(t, c, names[5])
	if agent.saw(names[5]) {
		t.Fatal("a segment reached a stopped agent")
	}

	r := rp.Open(t)
	arch, err := r.ListLogSegments(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	last, _ := repo.ParseLogFile("main", names[5])
	tl := arch.Timeline(1)
	if tl == nil || len(tl.Runs) != 1 || tl.Runs[0].First != 1 || tl.Runs[0].Last != last.SegNo(arch.SegmentSize) {
		t.Fatalf("archive %+v; want one run 1..%d", tl, last.SegNo(arch.SegmentSize))
	}
	for _, n := range names[3:] { // stored whole: fetch authenticates the full file
		dest := filepath.Join(c.Dir, "check-"+n)
		if _, stderr, code := coffer(t, append(append([]string{"wal-fetch", "--agent-socket", ""}, repoArgs...), n, dest)...); code != 0 {
			t.Fatalf("fetch %s: exit %d: %s", n, code, stderr)
		}
		got, _ := os.ReadFile(dest)
		if pg, _ := os.ReadFile(filepath.Join(c.DataDir, "pg_wal", n)); !bytes.Equal(got, pg) {
			t.Fatalf("%s archived with other bytes than pg_wal's", n)
		}
	}

	// A segment lost from storage is a gap in the report.
	if err := os.Remove(filepath.Join(rp.Dir, "wal", "main", "00000001", names[1])); err != nil {
		t.Fatal(err)
	}
	rep, err := walsock.BuildReport(context.Background(), r, "main", rp.Dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	gaps := rep.GetTimelines()[0].GetGaps()
	if len(gaps) != 1 || gaps[0].GetFirstSegment() != names[1] || gaps[0].GetLastSegment() != names[1] || gaps[0].GetSegmentCount() != 1 {
		t.Fatalf("report gaps %v; want just %s", gaps, names[1])
	}
}

// TestPromotionFollowedThroughAgent: archive recovery through the agent
// (restore_command = wal-fetch via the socket) ends on a new timeline;
// its history file and segments are archived through the agent, and the
// archive report follows the new timeline back to its parent.
func TestPromotionFollowedThroughAgent(t *testing.T) {
	t.Parallel()
	rp := pgtest.NewRepository(t)
	agent := startAgentSocket(t)
	bin := pgtest.CofferBinary(t)
	flags := fmt.Sprintf("--source main --repo %s --key-file %s --agent-socket %s", rp.Dir, rp.KeyFile, agent.path)
	settings := pgtest.ArchiveSettings(t, rp, "main")
	settings["archive_command"] = fmt.Sprintf("'%s wal-push %s %%p'", bin, flags)
	c := pgtest.New(t, pgtest.Options{Settings: settings})
	c.Exec(t, "postgres", "CREATE TABLE t (id int, v text)")
	var last string
	for range 2 {
		last = switchWAL(t, c)
	}
	waitArchived(t, c, last)
	c.Stop(t)
	if err := pgtest.Chown(rp.Dir); err != nil { // see TestArchiveCommandThroughAgentSocket
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(c.DataDir, "recovery.signal"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	settings["restore_command"] = fmt.Sprintf("'%s wal-fetch %s %%f %%p'", bin, flags)
	settings["recovery_target_timeline"] = "'latest'"
	promoted := pgtest.Existing(t, c.DataDir, settings)
	promoted.Start(t)
	promoted.WaitPromoted(t, 2*time.Minute)
	next := switchWAL(t, promoted)
	if !strings.HasPrefix(next, "00000002") {
		t.Fatalf("after archive recovery the server writes %s, want timeline 2", next)
	}
	promoted.WaitArchived(t, next, 60*time.Second)
	if !agent.saw("00000002.history") || !agent.saw(next) {
		t.Fatalf("timeline 2 files not archived through the agent (saw history %v, %s %v)", agent.saw("00000002.history"), next, agent.saw(next))
	}

	rep, err := walsock.BuildReport(context.Background(), rp.Open(t), "main", rp.Dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.GetTimelines()) != 2 {
		t.Fatalf("report timelines %v", rep.GetTimelines())
	}
	tl1, tl2 := rep.GetTimelines()[0], rep.GetTimelines()[1]
	if tl1.GetTimeline() != 1 || len(tl1.GetGaps()) != 0 || tl1.GetLastSegment() < last {
		t.Fatalf("timeline 1: %v", tl1)
	}
	if tl2.GetTimeline() != 2 || !tl2.GetHistory() || tl2.GetParentTimeline() != 1 || tl2.GetSwitchLsn() == "" ||
		tl2.GetLastSegment() != next || len(tl2.GetGaps()) != 0 {
		t.Fatalf("timeline 2: %v", tl2)
	}
}
