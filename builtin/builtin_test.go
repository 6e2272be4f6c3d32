package builtin_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// TestDemoToHECThroughOutage runs the real engine: demo events, an
// ActionTrail rule, the HEC sink and the strict HEC test server, which is
// busy (503, code 9) for two seconds mid-stream. Every event is indexed; the
// engine retried instead of dropping, and the token came from env().
func TestDemoToHECThroughOutage(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	t.Setenv("FWD_TEST_HEC_TOKEN", hectest.DefaultToken)
	src := fmt.Sprintf(`
source "demo" "d" {
  count      = 6000
  rate       = 2000
  batch_size = 200
}
rule "at" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set         = { action = "event.eventName" }
  meta        = { sourcetype = "'alicloud:actiontrail'" }
}
sink "splunk_hec" "soc" {
  endpoint = %q
  token    = env("FWD_TEST_HEC_TOKEN")
  index    = "alicloud"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "500ms"
  }
}
route "r" {
  from  = [source.demo.d]
  rules = [rule.at]
  to    = [sink.splunk_hec.soc]
}
`, srv.URL())
	rt := fwdtest.Start(t, fwdtest.Compile(t, builtin.Registries(), src))
	time.Sleep(700 * time.Millisecond)
	srv.SetBusy(true)
	time.Sleep(2 * time.Second)
	srv.SetBusy(false)
	select {
	case <-rt.SourcesDone():
	case <-time.After(60 * time.Second):
		t.Fatal("stream did not finish")
	}
	fwdtest.Stop(rt)

	seen := map[string]int{}
	for _, ev := range srv.Events() {
		var body struct {
			Seq    string          `json:"demo_seq"`
			Action string          `json:"action"`
			Event  json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(ev.Event, &body); err != nil {
			t.Fatalf("event body: %v", err)
		}
		if body.Action == "" || ev.Sourcetype != "alicloud:actiontrail" || ev.Index != "alicloud" || body.Event[0] != '{' {
			t.Fatalf("event not shaped by the rule: %+v %s", ev, ev.Event)
		}
		seen[body.Seq]++
	}
	// The demo's ActionTrail share of 6000: every one indexed.
	want := demoCount(6000)
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if len(seen) != want {
		t.Errorf("indexed %d distinct events, want %d", len(seen), want)
	}
	retries := 0.0
	if mf, err := rt.Metrics().Registry.Gather(); err == nil {
		for _, f := range mf {
			if f.GetName() == "forwarder_sink_retries_total" {
				for _, m := range f.GetMetric() {
					retries += m.GetCounter().GetValue()
				}
			}
		}
	}
	if retries == 0 {
		t.Error("the outage caused no retry")
	}
	t.Logf("indexed %d events, %d duplicates, %v retries", len(seen), dups, retries)
}
