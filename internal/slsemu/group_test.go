package slsemu

import (
	"slices"
	"sync"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// fakeClock is real time plus an adjustable offset, so signed requests stay
// within the skew window while tests jump past group timeouts.
type fakeClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.off)
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.off += d
	f.mu.Unlock()
}

// TestHeartbeatStateMachine drives the §8 rules with explicit heartbeats.
func TestHeartbeatStateMachine(t *testing.T) {
	clk := &fakeClock{}
	s := startServer(t, Options{Clock: clk.Now})
	mustLogstore(t, s, 4)
	c := newClient(t, s, testAK, testSK)
	if err := c.CreateConsumerGroup(testProject, testLogstore, sls.ConsumerGroup{ConsumerGroupName: "cg", Timeout: 10}); err != nil {
		t.Fatal(err)
	}
	type step struct {
		name     string
		consumer string
		body     []int
		advance  time.Duration
		want     []int
		wantCode string
	}
	steps := []step{
		{name: "first consumer takes all", consumer: "a", body: nil, want: []int{0, 1, 2, 3}},
		{name: "second consumer waits for releases", consumer: "b", body: nil, want: []int{}},
		{name: "holder loses shards in transfer", consumer: "a", body: []int{0, 1, 2, 3}, want: []int{0, 1}},
		{name: "not released yet", consumer: "b", body: nil, want: []int{}},
		{name: "holder still shutting down 3", consumer: "a", body: []int{0, 1, 3}, want: []int{0, 1}},
		{name: "2 moved", consumer: "b", body: nil, want: []int{2}},
		{name: "holder releases 3", consumer: "a", body: []int{0, 1}, want: []int{0, 1}},
		{name: "balanced", consumer: "b", body: []int{2}, want: []int{2, 3}},
		{name: "unknown consumer with body", consumer: "x", body: []int{1}, wantCode: CodeNotExistConsumerWithBody},
		{name: "b stays", consumer: "b", body: []int{2, 3}, advance: 6 * time.Second, want: []int{2, 3}},
		{name: "a silent past timeout; b gets all", consumer: "b", body: []int{2, 3}, advance: 6 * time.Second, want: []int{0, 1, 2, 3}},
		{name: "expired a must rejoin empty", consumer: "a", body: []int{0, 1}, wantCode: CodeNotExistConsumerWithBody},
		{name: "a rejoins", consumer: "a", body: []int{}, want: []int{}},
		{name: "b hands two back", consumer: "b", body: []int{0, 1, 2, 3}, want: []int{0, 1}},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		got, err := c.HeartBeat(testProject, testLogstore, "cg", st.consumer, st.body)
		if st.wantCode != "" {
			if _, code := slsCode(err); code != st.wantCode {
				t.Fatalf("%s: got %v, want %s", st.name, err, st.wantCode)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		slices.Sort(got)
		if !slices.Equal(got, st.want) && !(len(got) == 0 && len(st.want) == 0) {
			t.Fatalf("%s: heartbeat(%s, %v) = %v, want %v", st.name, st.consumer, st.body, got, st.want)
		}
	}
	v, err := s.Violations(testProject, testLogstore, "cg")
	if err != nil || len(v) != 0 {
		t.Fatalf("violations: %v %v", v, err)
	}
	hist, _ := s.AssignmentHistory(testProject, testLogstore, "cg")
	var released int
	for _, ev := range hist {
		if ev.Reason == "released by holder" {
			released++
		}
	}
	if released < 2 {
		t.Fatalf("history has %d holder releases, want ≥2: %+v", released, hist)
	}
}

func TestCheckpoints(t *testing.T) {
	clk := &fakeClock{}
	s := startServer(t, Options{Clock: clk.Now})
	mustLogstore(t, s, 3)
	c := newClient(t, s, testAK, testSK)
	if err := c.CreateConsumerGroup(testProject, testLogstore, sls.ConsumerGroup{ConsumerGroupName: "cg", Timeout: 5}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateConsumerGroup(testProject, testLogstore, sls.ConsumerGroup{ConsumerGroupName: "cg", Timeout: 5}); err == nil {
		t.Fatal("creating an existing group succeeded")
	} else if st, code := slsCode(err); st != 400 || code != CodeConsumerGroupExist {
		t.Fatalf("duplicate create: %d %s", st, code)
	}
	if _, err := c.HeartBeat(testProject, testLogstore, "cg", "a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeartBeat(testProject, testLogstore, "cg", "b", nil); err != nil {
		t.Fatal(err)
	}
	cp := EncodeCursor(12345)
	tests := []struct {
		name     string
		consumer string
		shard    int
		cp       string
		force    bool
		status   int32
		code     string
	}{
		{"force from anyone", "nobody", 0, cp, true, 0, ""},
		{"strict from holder", "a", 1, cp, false, 0, ""},
		{"strict from unknown consumer", "ghost", 1, cp, false, 404, CodeConsumerNotExist},
		{"strict from non-holder", "b", 1, cp, false, 400, CodeConsumerNotMatch},
		{"not base64", "a", 1, "%%%", true, 400, CodeInvalidShardCheckPoint},
		{"missing shard", "a", 9, cp, true, 404, CodeShardNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.UpdateCheckpoint(testProject, testLogstore, "cg", tt.consumer, tt.shard, tt.cp, tt.force)
			st, code := slsCode(err)
			if tt.code == "" && err != nil || tt.code != "" && (st != tt.status || code != tt.code) {
				t.Fatalf("got %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
	list, err := c.GetCheckpoint(testProject, testLogstore, "cg")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("GetCheckpoint listed %d shards, want 3: %+v", len(list), list)
	}
	want := map[int]string{0: cp, 1: cp, 2: ""}
	for _, e := range list {
		if e.CheckPoint != want[e.ShardID] {
			t.Errorf("shard %d checkpoint %q, want %q", e.ShardID, e.CheckPoint, want[e.ShardID])
		}
	}
	if _, err := c.GetCheckpoint(testProject, testLogstore, "nope"); err == nil {
		t.Fatal("GetCheckpoint on a missing group succeeded")
	} else if st, code := slsCode(err); st != 404 || code != CodeConsumerGroupNotExist {
		t.Fatalf("missing group: %d %s", st, code)
	}
	groups, err := c.ListConsumerGroup(testProject, testLogstore)
	if err != nil || len(groups) != 1 || groups[0].ConsumerGroupName != "cg" || groups[0].Timeout != 5 {
		t.Fatalf("ListConsumerGroup = %+v, %v", groups, err)
	}
	if err := c.UpdateConsumerGroup(testProject, testLogstore, sls.ConsumerGroup{ConsumerGroupName: "cg", Timeout: 9, InOrder: true}); err != nil {
		t.Fatal(err)
	}
	gi, err := s.Group(testProject, testLogstore, "cg")
	if err != nil || gi.Timeout != 9 || !gi.Order {
		t.Fatalf("after update: %+v %v", gi, err)
	}
	if err := c.DeleteConsumerGroup(testProject, testLogstore, "cg"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteConsumerGroup(testProject, testLogstore, "cg"); err == nil {
		t.Fatal("deleting a missing group succeeded")
	}
}

func TestMaxGrantPerHeartbeat(t *testing.T) {
	s := startServer(t, Options{MaxGrantPerHeartbeat: 1})
	mustLogstore(t, s, 3)
	c := newClient(t, s, testAK, testSK)
	if err := s.CreateConsumerGroup(testProject, testLogstore, "cg", 30, false); err != nil {
		t.Fatal(err)
	}
	var body []int
	for i, want := range [][]int{{0}, {0, 1}, {0, 1, 2}, {0, 1, 2}} {
		got, err := c.HeartBeat(testProject, testLogstore, "cg", "a", body)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("heartbeat %d = %v %v, want %v", i, got, err, want)
		}
		body = got
	}
	gi, _ := s.Group(testProject, testLogstore, "cg")
	if len(gi.Consumers) != 1 || !slices.Equal(gi.Consumers[0].Held, []int{0, 1, 2}) {
		t.Fatalf("Held = %+v", gi.Consumers)
	}
}
