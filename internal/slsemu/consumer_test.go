package slsemu

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	consumerLibrary "github.com/aliyun/aliyun-log-go-sdk/consumer"
	kitlog "github.com/go-kit/kit/log"
)

// received counts logs per shard and consumer.
type received struct {
	mu    sync.Mutex
	seqs  map[string]int // seq → times seen
	perSh map[int]map[string]int
}

func (r *received) add(consumer string, shard int, gl *sls.LogGroupList) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, lg := range gl.LogGroups {
		for _, l := range lg.Logs {
			r.seqs[l.Contents[0].GetValue()]++
			if r.perSh[shard] == nil {
				r.perSh[shard] = map[string]int{}
			}
			r.perSh[shard][consumer]++
		}
	}
}

func (r *received) count() (distinct, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.seqs {
		distinct++
		total += n
	}
	return distinct, total
}

func startWorker(t *testing.T, s *Server, name string, rec *received) *consumerLibrary.ConsumerWorker {
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	cfg := consumerLibrary.LogHubConfig{
		Endpoint:                  s.Addr(),
		AccessKeyID:               testAK,
		AccessKeySecret:           testSK,
		Project:                   testProject,
		Logstore:                  testLogstore,
		ConsumerGroupName:         "cg",
		ConsumerName:              name,
		CursorPosition:            consumerLibrary.BEGIN_CURSOR,
		HeartbeatIntervalInSecond: 1,
		HeartbeatTimeoutInSecond:  3,
		DataFetchIntervalInMs:     50,
		HTTPClient:                hc,
		Logger:                    kitlog.NewNopLogger(),
		DisableRuntimeMetrics:     true,
	}
	w := consumerLibrary.InitConsumerWorkerWithCheckpointTracker(cfg,
		func(shard int, gl *sls.LogGroupList, tr consumerLibrary.CheckPointTracker) (string, error) {
			rec.add(name, shard, gl)
			// Checkpoint every batch, empty ones too, at once.
			return "", tr.SaveCheckPoint(true)
		})
	w.Start()
	return w
}

// waitGoroutinesGone waits until no goroutine runs code of the consumer
// library: its heartbeat goroutine outlives StopAndWait by up to one
// interval (reference/sls-protocol.md §9.2 B10).
func waitGoroutinesGone(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		if !strings.Contains(string(buf[:n]), "consumerLibrary") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer library goroutines still running after %v", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func held(t *testing.T, s *Server) map[string][]int {
	gi, err := s.Group(testProject, testLogstore, "cg")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	for _, c := range gi.Consumers {
		out[c.Name] = c.Held
	}
	return out
}

// TestConsumerGroupFailover runs two SDK consumer workers in one group:
// they split 4 shards 2/2, and when one stops the other takes all 4 after
// the group timeout, resuming from the committed checkpoints.
func TestConsumerGroupFailover(t *testing.T) {
	// One new shard per heartbeat staggers each client's first requests
	// past the SDK's initHttpClient race (see MaxGrantPerHeartbeat).
	s := startServer(t, Options{MaxGrantPerHeartbeat: 1})
	mustLogstore(t, s, 4)
	const firstGroups, logsPer = 40, 25
	for g := 0; g < firstGroups; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, logsPer)); err != nil {
			t.Fatal(err)
		}
	}
	rec := &received{seqs: map[string]int{}, perSh: map[int]map[string]int{}}
	c1 := startWorker(t, s, "c1", rec)
	c2 := startWorker(t, s, "c2", rec)
	stopped := map[string]bool{}
	defer func() {
		for name, w := range map[string]*consumerLibrary.ConsumerWorker{"c1": c1, "c2": c2} {
			if !stopped[name] {
				w.StopAndWait()
			}
		}
		waitGoroutinesGone(t, 5*time.Second)
	}()

	waitFor(t, 15*time.Second, "2 shards each", func() bool {
		h := held(t, s)
		return len(h["c1"]) == 2 && len(h["c2"]) == 2
	})
	waitFor(t, 15*time.Second, "first batch consumed", func() bool {
		d, _ := rec.count()
		return d == firstGroups*logsPer
	})
	// Wait until every shard's checkpoint reached its end.
	waitFor(t, 10*time.Second, "checkpoints at shard ends", func() bool { return checkpointsAtEnd(t, s) })
	_, totalBefore := rec.count()
	gi, _ := s.Group(testProject, testLogstore, "cg")
	c2Shards := map[int]bool{}
	for _, c := range gi.Consumers {
		if c.Name == "c2" {
			for _, id := range c.Held {
				c2Shards[id] = true
			}
		}
	}

	c2.StopAndWait()
	stopped["c2"] = true
	waitFor(t, 15*time.Second, "c1 owns all 4", func() bool {
		h := held(t, s)
		_, c2Alive := h["c2"]
		return len(h["c1"]) == 4 && !c2Alive
	})
	gi, _ = s.Group(testProject, testLogstore, "cg")
	if len(gi.Departed) != 1 || gi.Departed[0].Name != "c2" {
		t.Fatalf("departed consumers: %+v", gi.Departed)
	}
	if d := gi.Departed[0]; d.ExpiredAt.Sub(d.LastHeartbeat) <= 3*time.Second {
		t.Errorf("c2 expired %v after its last heartbeat, within the 3 s group timeout", d.ExpiredAt.Sub(d.LastHeartbeat))
	}

	// New data after the failover: c1 must read only it, starting from the
	// checkpoints c2 committed (no replay of c2's shards).
	for g := firstGroups; g < firstGroups+8; g++ {
		if _, err := s.AppendLogGroup(testProject, testLogstore, makeGroup(g, logsPer)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 15*time.Second, "second batch consumed", func() bool {
		d, _ := rec.count()
		return d == (firstGroups+8)*logsPer
	})
	if _, total := rec.count(); total != totalBefore+8*logsPer {
		t.Errorf("c1 re-read %d logs after taking over; checkpoints were not honoured", total-totalBefore-8*logsPer)
	}
	rec.mu.Lock()
	for id := range c2Shards {
		if rec.perSh[id]["c1"] == 0 {
			t.Errorf("shard %d: c1 read nothing after taking it over", id)
		}
	}
	rec.mu.Unlock()
	waitFor(t, 10*time.Second, "checkpoints at shard ends again", func() bool { return checkpointsAtEnd(t, s) })

	if v, err := s.Violations(testProject, testLogstore, "cg"); err != nil || len(v) != 0 {
		t.Fatalf("a shard was held by two consumers: %+v %v", v, err)
	}
	gap, beats, err := s.MaxHeartbeatGap(testProject, testLogstore, "cg", "c1")
	if err != nil || beats < 5 || gap > 2500*time.Millisecond {
		t.Errorf("c1 heartbeats: %d, max gap %v (%v)", beats, gap, err)
	}
	if s.RequestCount(APIHeartbeat) == 0 || s.RequestCount(APIUpdateCheckpoint) == 0 {
		t.Errorf("stats: %+v", s.Stats().Requests)
	}
	c1.StopAndWait()
	stopped["c1"] = true
}

// checkpointsAtEnd reports whether every shard's checkpoint equals its end.
func checkpointsAtEnd(t *testing.T, s *Server) bool {
	gi, err := s.Group(testProject, testLogstore, "cg")
	if err != nil {
		t.Fatal(err)
	}
	shards, _ := s.Shards(testProject, testLogstore)
	cps := map[int]string{}
	for _, cp := range gi.Checkpoints {
		cps[cp.Shard] = cp.Checkpoint
	}
	ls, _ := s.lookup(testProject, testLogstore)
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	for _, info := range shards {
		if cps[info.ShardID] != EncodeCursor(ls.shard(info.ShardID).endCursor()) {
			return false
		}
	}
	return true
}
