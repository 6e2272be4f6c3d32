package sls_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// logBuf collects JSON log records.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the records whose message contains msg (all with "").
func (b *logBuf) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not one JSON record: %q", line)
		}
		if strings.Contains(fmt.Sprint(m["msg"]), msg) {
			out = append(out, m)
		}
	}
	return out
}

// startLogged starts a runtime whose logs (debug and up) go to the returned
// buffer.
func startLogged(t *testing.T, hcl string) (*engine.Runtime, *logBuf) {
	t.Helper()
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	lb := &logBuf{}
	rt := engine.New(engine.Settings{Logger: slog.New(slog.NewJSONHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if _, err := rt.Apply(fwdtest.Compile(t, builtin.Registries(), hcl)); err != nil {
		t.Fatal(err)
	}
	return rt, lb
}

// stopSoon shuts rt down giving busy sinks only a moment: what they hold
// stays unacknowledged, as after kill -9.
func stopSoon(rt *engine.Runtime) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rt.Shutdown(ctx)
}

func checkpointed(emu *slsemu.Server, logstore string, shards int) bool {
	g, err := emu.Group(project, logstore, "siem-splunk_hec-soc")
	if err != nil {
		return false
	}
	n := 0
	for _, cp := range g.Checkpoints {
		if cp.Checkpoint != "" {
			n++
		}
	}
	return n == shards
}

func hecHCL(endpoint, logstore, hecURL, extra string) string {
	return fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = %q
  consumer_group      = "siem"
  consumer_name       = "fwd-1"
  access_key_id       = env("TEST_SLS_AK_ID")
  access_key_secret   = env("TEST_SLS_AK_KEY")
  heartbeat_interval  = "1s"
  fetch_interval      = "50ms"
  checkpoint_interval = "100ms"
  shutdown_timeout    = "1s"
  %s
}
sink "splunk_hec" "soc" {
  endpoint    = %q
  token       = env("TEST_HEC_TOKEN")
  compression = "none"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "200ms"
  }
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc]
}
`, endpoint, project, logstore, extra, hecURL)
}

// TestStartEndSurvivesRestart: with start = "end", events written after
// the shards were assigned are pulled while the SIEM is down; the process
// stops without any acknowledgement. The restart must resume at the start
// position that was committed on assignment, not look "end" up again.
func TestStartEndSurvivesRestart(t *testing.T) {
	const shards, n = 2, 1000
	emu := emulator(t, "fresh", shards, 0)
	hec := hectest.New(t, hectest.Config{})
	t.Setenv("TEST_HEC_TOKEN", hectest.DefaultToken)
	hec.SetBusy(true)
	hcl := hecHCL(emu.Endpoint(), "fresh", hec.URL(), `start = "end"`)
	rt, _ := startLogged(t, hcl)
	waitFor(t, "the start positions", 20*time.Second, func() bool { return emu.RequestCount(slsemu.APIGetCursor) >= shards })
	fill(t, emu, "fresh", shards, n)
	waitFor(t, "the events pulled", 20*time.Second, func() bool {
		return testutil.ToFloat64(rt.Metrics().EventsIn.WithLabelValues("sls.audit", "splunk_hec.soc")) >= n
	})
	stopSoon(rt)
	if got := hec.EventCount(); got != 0 {
		t.Fatalf("%d events indexed during the outage", got)
	}
	if !checkpointed(emu, "fresh", shards) {
		t.Error("the start positions were not committed on assignment")
	}
	hec.SetBusy(false)
	rt, _ = startLogged(t, hcl)
	defer shutdown(rt)
	waitFor(t, "every event after the restart", 30*time.Second, func() bool { return len(indexedSeqs(t, hec)) == n })
}

// TestInvalidCursorResumesFromBegin: the data at the checkpoints expires
// while no forwarder runs. With start = "end", the restart must resume from
// the oldest retained data (not jump to the end), logging one ERROR per
// shard with the skipped range, and count the resets.
func TestInvalidCursorResumesFromBegin(t *testing.T) {
	const shards, first, unread, third = 2, 2000, 2000, 1000
	emu := emulator(t, "ttl2", shards, 0)
	hcl := sourceHCL(emu.Endpoint(), "ttl2", filepath.Join(t.TempDir(), "a.ndjson"), `start = "end"`)
	rt, _ := startLogged(t, hcl)
	waitFor(t, "start positions", 20*time.Second, func() bool { return emu.RequestCount(slsemu.APIGetCursor) >= shards })
	fill(t, emu, "ttl2", shards, first)
	waitFor(t, "the first events", 30*time.Second, func() bool { return sent(rt) >= first })
	shutdown(rt)
	fill(t, emu, "ttl2", shards, unread)
	if n, err := emu.ExpireAll(project, "ttl2"); err != nil || n == 0 {
		t.Fatalf("expire: %d groups, %v", n, err)
	}
	fill(t, emu, "ttl2", shards, third)
	hcl = sourceHCL(emu.Endpoint(), "ttl2", filepath.Join(t.TempDir(), "b.ndjson"), `start = "end"`)
	rt, logs := startLogged(t, hcl)
	defer shutdown(rt)
	waitFor(t, "the retained events after the reset", 30*time.Second, func() bool { return sent(rt) >= third })
	if got := cursorResets(t, rt, "sls.audit"); got != shards {
		t.Errorf("cursor resets = %v, want %d", got, shards)
	}
	recs := logs.records(t, "DATA SKIPPED")
	if len(recs) != shards {
		t.Fatalf("%d DATA SKIPPED records, want one per shard: %v", len(recs), recs)
	}
	for _, r := range recs {
		// unread/shards events per shard in groups of 500.
		if r["level"] != "ERROR" || r["skipped_log_groups_est"] != float64(unread/500/shards) || r["checkpoint_written"] == nil || r["oldest_retained"] == nil {
			t.Errorf("record does not name the skipped range: %v", r)
		}
	}
}

// TestStuckCursor: the server answers six times with data and the same
// cursor. The range is delivered at most twice (once stuck, once when the
// cursor moves again), with one ERROR and the metric counting the answers.
func TestStuckCursor(t *testing.T) {
	const n = 3000 // six groups of 500 on one shard
	emu := emulator(t, "stuck", 1, n)
	id := emu.InjectFault(slsemu.Fault{API: slsemu.APIPullLogs, StuckCursor: true, Times: 6})
	out := filepath.Join(t.TempDir(), "out.ndjson")
	rt, logs := startLogged(t, sourceHCL(emu.Endpoint(), "stuck", out, "fetch_log_groups = 2"))
	waitFor(t, "the stuck answers", 30*time.Second, func() bool { return emu.FaultHits(id) == 6 })
	waitFor(t, "every event", 30*time.Second, func() bool {
		seen, _ := readSeqs(t, out)
		return len(seen) == n
	})
	shutdown(rt)
	seen, _ := readSeqs(t, out)
	for seq, copies := range seen {
		if copies > 2 {
			t.Fatalf("event %d delivered %d times", seq, copies)
		}
	}
	if got := testutil.ToFloat64(rt.Metrics().StuckCursors.WithLabelValues("sls.audit", "stuck", "0", "file.out")); got != 6 {
		t.Errorf("stuck cursor metric = %v, want 6", got)
	}
	if recs := logs.records(t, "without advancing"); len(recs) != 1 || recs[0]["level"] != "ERROR" {
		t.Errorf("want one ERROR, got %v", recs)
	}
}
