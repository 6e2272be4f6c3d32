package sls_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/internal/slsemu"
)

// TestLagSeries: a backfill of data SLS received an hour ago (the
// emulator's clock runs an hour behind). While it runs, the per-shard
// series show the backlog and an hour of lag and the progress line reports
// them; at the end both are 0, each shard logged "caught up" once, and the
// checkpoint timestamp is the receive time of the data.
func TestLagSeries(t *testing.T) {
	const shards, n = 2, 60000
	emu := slsemu.New(slsemu.Options{AccessKeyID: akID, AccessKeySecret: akKey, MaxClockSkew: 2 * time.Hour,
		Clock: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.CreateProject(project, "test"); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateLogstore(project, "lag", slsemu.LogstoreConfig{Shards: shards}); err != nil {
		t.Fatal(err)
	}
	fill(t, emu, "lag", shards, n)
	// Slow pulls make the backfill last a few seconds.
	emu.InjectFault(slsemu.Fault{API: slsemu.APIPullLogs, Latency: 50 * time.Millisecond})
	rt, logs := startLogged(t, sourceHCL(emu.Endpoint(), "lag", filepath.Join(t.TempDir(), "out.ndjson"), "fetch_log_groups = 2"))
	defer shutdown(rt)

	var progress syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rt.LogProgress(ctx, 300*time.Millisecond, slog.New(slog.NewTextHandler(&progress, nil)))
	}()
	defer func() { cancel(); wg.Wait() }()

	m := rt.Metrics()
	shard := func(i int) []string { return []string{"sls.audit", "lag", strconv.Itoa(i), "file.out"} }
	maxBacklog, maxLag := 0.0, 0.0
	waitFor(t, "the backfill to finish", 60*time.Second, func() bool {
		done := sent(rt) >= n
		for i := range shards {
			maxBacklog = max(maxBacklog, testutil.ToFloat64(m.ShardBacklog.WithLabelValues(shard(i)...)))
			maxLag = max(maxLag, testutil.ToFloat64(m.ShardLag.WithLabelValues(shard(i)...)))
		}
		return done
	})
	if maxBacklog < 5 || maxLag < 3000 || maxLag > 4000 {
		t.Errorf("during the backfill: backlog peaked at %v log groups, lag at %v s; want > 5 and about 3600", maxBacklog, maxLag)
	}
	if got := testutil.ToFloat64(m.ShardsOwned.WithLabelValues("sls.audit", "lag", "file.out")); got != shards {
		t.Errorf("shards owned = %v, want %d", got, shards)
	}
	waitFor(t, "caught up on every shard", 20*time.Second, func() bool {
		return len(logs.records(t, "shard caught up")) == shards
	})
	for i := range shards {
		if b, l := testutil.ToFloat64(m.ShardBacklog.WithLabelValues(shard(i)...)), testutil.ToFloat64(m.ShardLag.WithLabelValues(shard(i)...)); b != 0 || l != 0 {
			t.Errorf("shard %d after the backfill: backlog %v, lag %v", i, b, l)
		}
		hourAgo := float64(time.Now().Add(-time.Hour).Unix())
		waitFor(t, "the checkpoint timestamp", 10*time.Second, func() bool {
			cp := testutil.ToFloat64(m.ShardCheckpoint.WithLabelValues(shard(i)...))
			return cp > hourAgo-120 && cp <= hourAgo+1
		})
		if recv := testutil.ToFloat64(m.ShardReceive.WithLabelValues(shard(i)...)); recv < hourAgo-120 || recv > hourAgo+1 {
			t.Errorf("shard %d: last pulled receive time %v, want about %v", i, recv, hourAgo)
		}
	}
	if !regexp.MustCompile(`backlog\.sls\.audit=[1-9]\d* lag_s\.sls\.audit=3\d{3}`).Match(progress.Bytes()) {
		t.Errorf("no progress line with backlog and lag:\n%s", progress.Bytes())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) Bytes() []byte               { s.mu.Lock(); defer s.mu.Unlock(); return bytes.Clone(s.b.Bytes()) }
