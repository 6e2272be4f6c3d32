package slsemu

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPersistence restarts an emulator on the same data directory: data,
// cursors, shards and checkpoints survive.
func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	s1 := New(Options{DataDir: dir, AccessKeyID: testAK, AccessKeySecret: testSK, Logger: quietLogger()})
	if err := s1.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateLogstore(testProject, testLogstore, LogstoreConfig{Shards: 2, TTLDays: 7}); err != nil {
		t.Fatal(err)
	}
	c1 := newClient(t, s1, testAK, testSK)
	for g := 0; g < 6; g++ {
		if err := c1.PutLogs(testProject, testLogstore, makeGroup(g, 3)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s1.SplitShard(testProject, testLogstore, 1, "", 2); err != nil {
		t.Fatal(err)
	}
	if err := s1.CreateConsumerGroup(testProject, testLogstore, "cg", 20, true); err != nil {
		t.Fatal(err)
	}
	cp := EncodeCursor(endCursor(t, c1, 0) - 1)
	if err := c1.UpdateCheckpoint(testProject, testLogstore, "cg", "c1", 0, cp, true); err != nil {
		t.Fatal(err)
	}
	before := s1.State()
	c1.HTTPClient.CloseIdleConnections()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, snapshotFile)); err != nil {
		t.Fatalf("no snapshot: %v", err)
	}

	s2 := startServer(t, Options{DataDir: dir})
	after := s2.State()
	bl, al := before.Projects[0].Logstores[0], after.Projects[0].Logstores[0]
	if len(al.Shards) != len(bl.Shards) || al.TTLDays != 7 {
		t.Fatalf("shards %d → %d, ttl %d", len(bl.Shards), len(al.Shards), al.TTLDays)
	}
	for i := range bl.Shards {
		b, a := bl.Shards[i], al.Shards[i]
		if a.BeginCursor != b.BeginCursor || a.EndCursor != b.EndCursor || a.Status != b.Status || a.Logs != b.Logs {
			t.Fatalf("shard %d: %+v → %+v", i, b, a)
		}
	}
	if g := al.Groups; len(g) != 1 || !g[0].Order || len(g[0].Checkpoints) != 1 || g[0].Checkpoints[0].Checkpoint != cp {
		t.Fatalf("groups after restart: %+v", g)
	}
	c2 := newClient(t, s2, testAK, testSK)
	gl, _, err := c2.PullLogs(testProject, testLogstore, 0, cp, "", 10)
	if err != nil || len(gl.LogGroups) != 1 || len(gl.LogGroups[0].Logs) != 3 {
		t.Fatalf("pull after restart: %v %v", gl, err)
	}
	list, err := c2.GetCheckpoint(testProject, testLogstore, "cg")
	if err != nil || len(list) != 4 || list[0].CheckPoint != cp {
		t.Fatalf("checkpoints after restart: %+v %v", list, err)
	}
}
