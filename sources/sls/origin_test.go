package sls_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/internal/slsemu"
)

// TestOriginPerLogstoreAndShard: one source reading two logstores; every
// event tells rules the project, logstore and shard it was read from and
// the source's key, and none of it is written unless a rule copies it.
func TestOriginPerLogstoreAndShard(t *testing.T) {
	emu := emulator(t, "la", 2, 1500) // groups of 500, round robin: shard 0 gets 1000, shard 1 500
	if err := emu.CreateLogstore(project, "lb", slsemu.LogstoreConfig{Shards: 1}); err != nil {
		t.Fatal(err)
	}
	fill(t, emu, "lb", 1, 700)
	out := filepath.Join(t.TempDir(), "out.ndjson")
	hcl := fmt.Sprintf(`
source "sls" "audit" {
  endpoint           = %q
  project            = %q
  logstores          = ["la", "lb"]
  consumer_group     = "siem"
  consumer_name      = "fwd-1"
  access_key_id      = env("TEST_SLS_AK_ID")
  access_key_secret  = env("TEST_SLS_AK_KEY")
  heartbeat_interval = "1s"
  fetch_interval     = "50ms"
}
rule "origin" {
  set = { from = "project + '/' + logstore + '/' + string(shard) + ' ' + source_name" }
}
sink "file" "out" {
  path = %q
}
sink "file" "plain" {
  path = %q
}
route "copied" {
  from  = [source.sls.audit]
  rules = [rule.origin]
  to    = [sink.file.out]
}
route "untouched" {
  from = [source.sls.audit]
  to   = [sink.file.plain]
}
`, emu.Endpoint(), project, out, out+".plain")
	rt := startRuntime(t, hcl)
	waitFor(t, "all events", 60*time.Second, func() bool {
		m := rt.Metrics().SinkEvents
		return testutil.ToFloat64(m.WithLabelValues("file.out", "sent")) >= 2200 && testutil.ToFloat64(m.WithLabelValues("file.plain", "sent")) >= 2200
	})
	shutdown(rt)
	got := map[string]int{}
	for _, ev := range readAll(t, out) {
		got[fmt.Sprint(ev["from"])]++
	}
	want := map[string]int{"audit-prod/la/0 sls.audit": 1000, "audit-prod/la/1 sls.audit": 500, "audit-prod/lb/0 sls.audit": 700}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events per origin = %v, want %v", got, want)
	}
	plain := readAll(t, out+".plain")
	if len(plain) != 2200 {
		t.Errorf("untouched route wrote %d events, want 2200", len(plain))
	}
	for _, ev := range plain {
		for _, k := range []string{"from", "project", "logstore", "shard", "source_name"} {
			if _, ok := ev[k]; ok {
				t.Fatalf("an event no rule touched carries %q: %v", k, ev)
			}
		}
	}
}

// readAll reads every event of an NDJSON file.
func readAll(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
