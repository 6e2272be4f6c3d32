package slsemu

import (
	"errors"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

func endCursor(t *testing.T, c *sls.Client, shard int) int64 {
	t.Helper()
	cur, err := c.GetCursor(testProject, testLogstore, shard, "end")
	if err != nil {
		t.Fatalf("GetCursor(%d, end): %v", shard, err)
	}
	n, ok := DecodeCursor(cur)
	if !ok {
		t.Fatalf("cursor %q", cur)
	}
	return n
}

func TestSplitAndMerge(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 2)
	c := newClient(t, s, testAK, testSK)
	for g := 0; g < 10; g++ {
		if err := c.PutLogs(testProject, testLogstore, makeGroup(g, 2)); err != nil {
			t.Fatal(err)
		}
	}
	parentEnd := endCursor(t, c, 0)

	out, err := c.SplitShard(testProject, testLogstore, 0, "40000000000000000000000000000000")
	if err != nil {
		t.Fatalf("SplitShard: %v", err)
	}
	if len(out) != 3 || out[0].ShardID != 0 || out[0].Status != StatusReadOnly || out[1].ShardID != 2 || out[2].ShardID != 3 {
		t.Fatalf("SplitShard returned %+v", out)
	}
	if out[1].InclusiveBeginKey != "00000000000000000000000000000000" || out[1].ExclusiveBeginKey != "40000000000000000000000000000000" ||
		out[2].InclusiveBeginKey != "40000000000000000000000000000000" || out[2].ExclusiveBeginKey != "80000000000000000000000000000000" {
		t.Fatalf("children ranges: %+v", out[1:])
	}
	shards, err := c.ListShards(testProject, testLogstore)
	if err != nil || len(shards) != 4 {
		t.Fatalf("ListShards: %+v %v", shards, err)
	}

	// Writes skip the read-only parent; hash keys reach the right child.
	for g := 10; g < 16; g++ {
		if err := c.PutLogs(testProject, testLogstore, makeGroup(g, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if got := endCursor(t, c, 0); got != parentEnd {
		t.Fatalf("read-only parent grew from %d to %d", parentEnd, got)
	}
	before := endCursor(t, c, 3)
	key := "5a000000000000000000000000000000"
	if err := c.PostLogStoreLogs(testProject, testLogstore, makeGroup(99, 1), &key); err != nil {
		t.Fatal(err)
	}
	if got := endCursor(t, c, 3); got != before+1 {
		t.Fatalf("hash key %s: shard 3 end %d → %d, want +1", key, before, got)
	}
	// The parent stays readable to its fixed end.
	gl, next, err := c.PullLogs(testProject, testLogstore, 0, EncodeCursor(parentEnd-5), "", 100)
	if err != nil || len(gl.LogGroups) != 5 || next != EncodeCursor(parentEnd) {
		t.Fatalf("pull parent: %d groups, next %s, %v", len(gl.GetLogGroups()), next, err)
	}

	tests := []struct {
		name string
		do   func() error
		code string
	}{
		{"split read-only", func() error { _, err := c.SplitShard(testProject, testLogstore, 0, "10"); return err }, CodeShardReadOnly},
		{"key outside range", func() error { _, err := c.SplitShard(testProject, testLogstore, 2, "50"); return err }, CodeParameterInvalid},
		{"missing shard", func() error { _, err := c.SplitShard(testProject, testLogstore, 42, "50"); return err }, CodeShardNotExist},
	}
	for _, tt := range tests {
		if _, code := slsCode(tt.do()); code != tt.code {
			t.Errorf("%s: got %s, want %s", tt.name, code, tt.code)
		}
	}

	out, err = c.SplitNumShard(testProject, testLogstore, 1, 3)
	if err != nil || len(out) != 4 || out[3].ExclusiveBeginKey != maxKey {
		t.Fatalf("SplitNumShard: %+v %v", out, err)
	}
	merged, err := c.MergeShards(testProject, testLogstore, 2)
	if err != nil || len(merged) != 3 || merged[0].InclusiveBeginKey != "00000000000000000000000000000000" ||
		merged[0].ExclusiveBeginKey != "80000000000000000000000000000000" || merged[0].Status != StatusReadWrite {
		t.Fatalf("MergeShards: %+v %v", merged, err)
	}
}

// TestOrderedSplit checks order=true: children wait until the parent's
// checkpoint reaches its end.
func TestOrderedSplit(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 1)
	c := newClient(t, s, testAK, testSK)
	for g := 0; g < 3; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateConsumerGroup(testProject, testLogstore, "cg", 30, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SplitShard(testProject, testLogstore, 0, "", 2); err != nil {
		t.Fatal(err)
	}
	got, err := c.HeartBeat(testProject, testLogstore, "cg", "a", nil)
	if err != nil || len(got) != 1 || got[0] != 0 {
		t.Fatalf("ordered heartbeat = %v %v, want only the parent", got, err)
	}
	if err := c.UpdateCheckpoint(testProject, testLogstore, "cg", "a", 0, EncodeCursor(endCursor(t, c, 0)), true); err != nil {
		t.Fatal(err)
	}
	got, err = c.HeartBeat(testProject, testLogstore, "cg", "a", got)
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("after parent finished: %v %v, want [1 2]", got, err)
	}
	gi, _ := s.Group(testProject, testLogstore, "cg")
	if gi.Shards[0].State != StateOver {
		t.Fatalf("parent state %s, want over", gi.Shards[0].State)
	}
}

func TestTTL(t *testing.T) {
	clk := &fakeClock{}
	s := startServer(t, Options{Clock: clk.Now, JanitorInterval: 20 * time.Millisecond, MaxClockSkew: 72 * time.Hour})
	if err := s.CreateLogstore(testProject, testLogstore, LogstoreConfig{Shards: 1, TTLDays: 1}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s, testAK, testSK)
	for g := 0; g < 4; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, 1)); err != nil {
			t.Fatal(err)
		}
	}
	old, err := c.GetCursor(testProject, testLogstore, 0, "begin")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(12 * time.Hour)
	for g := 4; g < 6; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, 1)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(13 * time.Hour) // the first 4 are now older than a day
	waitFor(t, 5*time.Second, "janitor expiry", func() bool {
		b, err := c.GetCursor(testProject, testLogstore, 0, "begin")
		return err == nil && b != old
	})
	_, _, err = c.PullLogs(testProject, testLogstore, 0, old, "", 10)
	var se *sls.Error
	if !errors.As(err, &se) || se.HTTPCode != 400 || se.Code != CodeInvalidCursor {
		t.Fatalf("pull from an expired cursor: %v, want 400 InvalidCursor", err)
	}
	if _, err := c.GetCursorTime(testProject, testLogstore, 0, old); err == nil {
		t.Fatal("GetCursorTime of an expired cursor succeeded")
	}
	begin, _ := c.GetCursor(testProject, testLogstore, 0, "begin")
	gl, _, err := c.PullLogs(testProject, testLogstore, 0, begin, "", 10)
	if err != nil || len(gl.LogGroups) != 2 {
		t.Fatalf("pull after expiry: %d groups %v, want the 2 recent ones", len(gl.GetLogGroups()), err)
	}
	n, err := s.ExpireAll(testProject, testLogstore)
	if err != nil || n != 2 {
		t.Fatalf("ExpireAll = %d %v", n, err)
	}
	if _, _, err := c.PullLogs(testProject, testLogstore, 0, begin, "", 10); !errors.As(err, &se) || se.Code != CodeInvalidCursor {
		t.Fatalf("pull after ExpireAll: %v", err)
	}
}

func TestCursors(t *testing.T) {
	clk := &fakeClock{}
	s := startServer(t, Options{Clock: clk.Now})
	mustLogstore(t, s, 1)
	c := newClient(t, s, testAK, testSK)
	t0 := clk.Now().Unix()
	for g := 0; g < 5; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, 1)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(10 * time.Second)
	}
	begin := endCursor(t, c, 0) - 5
	tests := []struct {
		from string
		want int64
	}{
		{"begin", begin},
		{"end", begin + 5},
		{"0", begin},
		{itoa(t0 + 10), begin + 1},
		{itoa(t0 + 15), begin + 2},
		{itoa(t0 + 1000), begin + 5},
	}
	for _, tt := range tests {
		cur, err := c.GetCursor(testProject, testLogstore, 0, tt.from)
		if n, _ := DecodeCursor(cur); err != nil || n != tt.want {
			t.Errorf("GetCursor(%s) = %d %v, want %d", tt.from, n, err, tt.want)
		}
	}
	if _, err := c.GetCursor(testProject, testLogstore, 0, "yesterday"); err == nil {
		t.Error("GetCursor(yesterday) succeeded")
	}
	ct, err := c.GetCursorTime(testProject, testLogstore, 0, EncodeCursor(begin+2))
	if err != nil || ct.Unix() != t0+20 {
		t.Errorf("GetCursorTime = %v %v, want %d", ct.Unix(), err, t0+20)
	}
	bad := []struct {
		name, cursor, count, end string
		code                     string
	}{
		{"past end", EncodeCursor(begin + 6), "10", "", CodeInvalidCursor},
		{"before begin", EncodeCursor(begin - 1), "10", "", CodeInvalidCursor},
		{"garbage", "!!", "10", "", CodeInvalidCursor},
		{"count too big", EncodeCursor(begin), "1001", "", CodeParameterInvalid},
	}
	for _, tt := range bad {
		plr := &sls.PullLogRequest{Project: testProject, Logstore: testLogstore, Cursor: tt.cursor, EndCursor: tt.end}
		plr.LogGroupMaxCount, _ = atoi(tt.count)
		_, _, err := c.PullLogsWithQuery(plr)
		if _, code := slsCode(err); code != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}
	// end_cursor is exclusive; an empty read echoes the cursor verbatim.
	gl, next, err := c.PullLogs(testProject, testLogstore, 0, EncodeCursor(begin+1), EncodeCursor(begin+3), 100)
	if err != nil || len(gl.LogGroups) != 2 || next != EncodeCursor(begin+3) {
		t.Fatalf("end_cursor: %d groups next %s %v", len(gl.GetLogGroups()), next, err)
	}
	end := EncodeCursor(begin + 5)
	gl, next, err = c.PullLogs(testProject, testLogstore, 0, end, "", 100)
	if err != nil || len(gl.LogGroups) != 0 || next != end {
		t.Fatalf("at end: %d groups next %q %v", len(gl.GetLogGroups()), next, err)
	}
}
