package sls_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

const (
	project = "audit-prod"
	akID    = "LTAI5tTestKeyId"
	akKey   = "test-secret-key"
)

// emulator starts an SLS emulator with one logstore of `shards` shards and
// fills it with n demo events; each carries a unique demo_seq.
func emulator(t *testing.T, logstore string, shards, n int) *slsemu.Server {
	t.Helper()
	emu := slsemu.New(slsemu.Options{AccessKeyID: akID, AccessKeySecret: akKey})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.CreateProject(project, "test"); err != nil {
		t.Fatal(err)
	}
	if err := emu.CreateLogstore(project, logstore, slsemu.LogstoreConfig{Shards: shards}); err != nil {
		t.Fatal(err)
	}
	fill(t, emu, logstore, shards, n)
	return emu
}

func fill(t *testing.T, emu *slsemu.Server, logstore string, shards, n int) {
	t.Helper()
	g := demo.NewGenerator(3, time.Unix(1795939202, 0))
	const perGroup = 500
	for i, shard := 0, 0; i < n; shard++ {
		var logs []*sdk.Log
		var topic, source string
		for ; len(logs) < perGroup && i < n; i++ {
			ev := g.Next()
			topic, source = ev.Topic, ev.Source
			logs = append(logs, slsemu.LogFromEvent(ev))
		}
		lg := &sdk.LogGroup{Logs: logs, Topic: &topic, Source: &source,
			LogTags: []*sdk.LogTag{{Key: strp("__receive_time__"), Value: strp("1795939202")}}}
		if _, err := emu.AppendLogGroupToShard(project, logstore, shard%shards, lg); err != nil {
			t.Fatal(err)
		}
	}
}

func strp(s string) *string { return &s }

func startRuntime(t *testing.T, hcl string) *engine.Runtime {
	t.Helper()
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	return fwdtest.Start(t, fwdtest.Compile(t, builtin.Registries(), hcl))
}

func shutdown(rt *engine.Runtime) { fwdtest.Stop(rt) }

func sourceHCL(endpoint, logstore, out, extra string) string {
	return fmt.Sprintf(`
source "sls" "audit" {
  endpoint          = %q
  project           = %q
  logstore          = %q
  consumer_group    = "siem"
  consumer_name     = "fwd-1"
  access_key_id     = env("TEST_SLS_AK_ID")
  access_key_secret = env("TEST_SLS_AK_KEY")
  heartbeat_interval = "1s"
  fetch_interval     = "50ms"
  checkpoint_interval = "200ms"
  %s
}
sink "file" "out" {
  path = %q
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.file.out]
}
`, endpoint, project, logstore, extra, out)
}

// readSeqs counts demo_seq values in an NDJSON file.
func readSeqs(t *testing.T, path string) (map[int]int, []map[string]any) {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[int]int{}, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[int]int{}
	var sample []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // a line being written
		}
		n, _ := strconv.Atoi(fmt.Sprint(m["demo_seq"]))
		seen[n]++
		if len(sample) < 3 {
			sample = append(sample, m)
		}
	}
	return seen, sample
}

// sent is how many events the file sink has written.
func sent(rt *engine.Runtime) int {
	return int(testutil.ToFloat64(rt.Metrics().SinkEvents.WithLabelValues("file.out", "sent")))
}

// cursorResets reads forwarder_source_cursor_resets_total{source=key},
// the series the source registers itself, from the runtime's registry.
func cursorResets(t *testing.T, rt *engine.Runtime, key string) float64 {
	t.Helper()
	mfs, err := rt.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "forwarder_source_cursor_resets_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "source" && l.GetValue() == key {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no forwarder_source_cursor_resets_total{source=%q} registered", key)
	return 0
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAllEventsAndCheckpoints: 200k events over 4 shards arrive in the file
// sink, fields intact, and every shard's checkpoint ends at the shard's end.
func TestAllEventsAndCheckpoints(t *testing.T) {
	const n = 200000
	emu := emulator(t, "actiontrail", 4, n)
	out := filepath.Join(t.TempDir(), "out.ndjson")
	rt := startRuntime(t, sourceHCL(emu.Endpoint(), "actiontrail", out, ""))
	waitFor(t, "all events", 120*time.Second, func() bool { return sent(rt) >= n })
	waitFor(t, "checkpoints at the shard ends", 10*time.Second, func() bool {
		return checkpointsAtEnd(t, emu, "actiontrail", "siem-file-out", 4)
	})
	shutdown(rt)
	seen, sample := readSeqs(t, out)
	dups := 0
	for i := 1; i <= n; i++ {
		if seen[i] == 0 {
			t.Fatalf("event %d missing", i)
		}
		dups += seen[i] - 1
	}
	if dups != 0 {
		t.Errorf("%d duplicates without any failure", dups)
	}
	ev := sample[0]
	if ev["__tag__:__receive_time__"] != "1795939202" || ev["__topic__"] == "" || ev["__source__"] == "" {
		t.Errorf("SLS metadata not carried: %v", ev)
	}
	ts, _ := ev["__time__"].(string)
	if tm, err := time.Parse(time.RFC3339Nano, ts); err != nil || tm.Nanosecond() == 0 && tm.Unix() == 0 {
		t.Errorf("time not carried: %q", ts)
	}
}

// TestQueryPushDown: the SPL query reaches the emulator, which filters, so
// only matching events arrive.
func TestQueryPushDown(t *testing.T) {
	const n = 5000
	emu := emulator(t, "mixed", 2, n)
	out := filepath.Join(t.TempDir(), "out.ndjson")
	want := 0
	g := demo.NewGenerator(3, time.Unix(1795939202, 0))
	for range n {
		ev := g.Next()
		if v, ok := ev.Get("operation"); ok && v.Str() == "GetObject" {
			want++
		}
	}
	rt := startRuntime(t, sourceHCL(emu.Endpoint(), "mixed", out, `query = "* | where operation = 'GetObject'"`))
	waitFor(t, "filtered events", 60*time.Second, func() bool { return sent(rt) >= want })
	time.Sleep(500 * time.Millisecond) // nothing else may arrive
	shutdown(rt)
	seen, sample := readSeqs(t, out)
	if len(seen) != want || want == 0 {
		t.Errorf("got %d events, want %d", len(seen), want)
	}
	for _, ev := range sample {
		if ev["operation"] != "GetObject" {
			t.Errorf("unfiltered event arrived: %v", ev)
		}
	}
}
