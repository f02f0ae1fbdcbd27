package agent_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent"
	"github.com/cofferhq/coffer/agent/internal/agenttest"
	"github.com/cofferhq/coffer/agent/walsock"
	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// TestWALSocketPushesAreReported: the running agent serves its WAL socket,
// and a push through it is followed by a WalArchiveReport of that stream
// on the controller channel. A second agent cannot take the socket over.
func TestWALSocketPushesAreReported(t *testing.T) {
	c := agenttest.Start(t)
	cfg := testConfig(t, c, t.TempDir())
	cfg.WALSocket = filepath.Join(t.TempDir(), "agent.sock")
	cfg.WALReportDebounce = 50 * time.Millisecond
	start(t, cfg)
	conn := c.NextConn(t, 10*time.Second)

	rp := agenttest.NewRepo(t)
	client, err := walsock.Dial(context.Background(), cfg.WALSocket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Push(context.Background(), &cofferv1.PushWalRequest{
		Repository: &cofferv1.WalRepository{Url: rp.Dir, KeyFile: rp.Key}, Stream: "main",
		Name: "00000002.history", Data: []byte("1\t0/3000158\tpromoted\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := conn.Expect(t, 10*time.Second, "WAL archive report", func(m *cofferv1.ConnectRequest) bool { return m.GetWalArchive() != nil })
	rep := m.GetWalArchive()
	if rep.GetStream() != "main" || rep.GetRepository() != rp.Dir || len(rep.GetTimelines()) != 1 {
		t.Fatalf("report %v", rep)
	}
	if tl := rep.GetTimelines()[0]; tl.GetTimeline() != 2 || !tl.GetHistory() || tl.GetParentTimeline() != 1 || tl.GetSwitchLsn() != "0/3000158" {
		t.Fatalf("timeline %v", tl)
	}

	other := testConfig(t, c, t.TempDir())
	other.WALSocket = cfg.WALSocket
	err = agent.Run(context.Background(), other)
	if !errors.Is(err, walsock.ErrSocketInUse) {
		t.Fatalf("second agent on the same socket: %v, want %v", err, walsock.ErrSocketInUse)
	}
}
