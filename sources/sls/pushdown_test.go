package sls_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sources/demo"
)

// fillByTopic stores n demo events in log groups of one topic each, as SLS
// holds them, and returns how many ActionTrail ConsoleSignin events there are.
func fillByTopic(t *testing.T, emu *slsemu.Server, logstore string, n int) int {
	t.Helper()
	g := demo.NewGenerator(7, time.Unix(1795939202, 0))
	groups := map[string][]*sdk.Log{}
	want, shard := 0, 0
	flush := func(topic string) {
		topicCopy := topic
		lg := &sdk.LogGroup{Logs: groups[topic], Topic: &topicCopy}
		if _, err := emu.AppendLogGroupToShard(project, logstore, shard%2, lg); err != nil {
			t.Fatal(err)
		}
		shard++
		groups[topic] = nil
	}
	for range n {
		ev := g.Next()
		if v, ok := ev.Get("event"); ok && ev.Topic == demo.TopicActionTrail && strings.Contains(v.Str(), `"eventName":"ConsoleSignin"`) {
			want++
		}
		groups[ev.Topic] = append(groups[ev.Topic], slsemu.LogFromEvent(ev))
		if len(groups[ev.Topic]) == 200 {
			flush(ev.Topic)
		}
	}
	for topic, logs := range groups {
		if len(logs) > 0 {
			flush(topic)
		}
	}
	return want
}

func pushDownHCL(endpoint, out, extra string) string {
	return fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = "audit"
  consumer_group      = "siem"
  consumer_name       = "fwd-1"
  access_key_id       = env("TEST_SLS_AK_ID")
  access_key_secret   = env("TEST_SLS_AK_KEY")
  heartbeat_interval  = "1s"
  fetch_interval      = "50ms"
  checkpoint_interval = "200ms"
  %s
}
rule "signin" {
  filter      = "topic == 'actiontrail_audit_event' && event.eventName == 'ConsoleSignin'"
  decode_json = ["event"]
}
sink "file" "out" {
  path = %q
}
route "r" {
  from  = [source.sls.audit]
  rules = [rule.signin]
  to    = [sink.file.out]
}
`, endpoint, project, extra, out)
}

// TestFilterPushDown: the route's filter reaches SLS as SPL, the emulator
// filters, and the source reads only the events the route keeps; with
// push_down = false it reads everything and the output is the same.
func TestFilterPushDown(t *testing.T) {
	const n = 4000
	for _, tc := range []struct {
		name, extra, prefix string
		pushed              bool
	}{
		{name: "on", pushed: true, prefix: "* | where "},
		{name: "off", extra: "push_down = false", pushed: false},
		{name: "with a user query", extra: `query = "* | where __source__ is null;"`, pushed: true, prefix: "* | where __source__ is null | where "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := slsemu.New(slsemu.Options{AccessKeyID: akID, AccessKeySecret: akKey})
			if err := emu.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { emu.Close() })
			if err := emu.CreateProject(project, "test"); err != nil {
				t.Fatal(err)
			}
			if err := emu.CreateLogstore(project, "audit", slsemu.LogstoreConfig{Shards: 2}); err != nil {
				t.Fatal(err)
			}
			want := fillByTopic(t, emu, "audit", n)
			out := filepath.Join(t.TempDir(), "out.ndjson")
			rt := startRuntime(t, pushDownHCL(emu.Endpoint(), out, tc.extra))
			read := func() int {
				return int(testutil.ToFloat64(rt.Metrics().EventsIn.WithLabelValues("sls.audit", "file.out")))
			}
			if tc.pushed {
				waitFor(t, "filtered events", 60*time.Second, func() bool { return sent(rt) >= want })
			} else {
				waitFor(t, "every event", 60*time.Second, func() bool { return read() >= n && sent(rt) >= want })
			}
			time.Sleep(300 * time.Millisecond) // nothing else may arrive
			got := read()
			shutdown(rt)
			seen, sample := readSeqs(t, out)
			if len(seen) != want || want == 0 {
				t.Errorf("delivered %d events, want %d", len(seen), want)
			}
			for _, ev := range sample {
				if e, _ := ev["event"].(map[string]any); e["eventName"] != "ConsoleSignin" {
					t.Errorf("unexpected event delivered: %v", ev)
				}
			}
			var queries []string
			for q := range emu.Stats().Queries {
				queries = append(queries, q)
			}
			if tc.pushed {
				if got != want {
					t.Errorf("source read %d events, want only the %d the route keeps", got, want)
				}
				if len(queries) != 1 || !strings.HasPrefix(queries[0], tc.prefix+`__topic__ = 'actiontrail_audit_event' and (json_extract_scalar("event", '$.eventName') = 'ConsoleSignin'`) {
					t.Errorf("queries sent: %q", queries)
				}
			} else if got != n || len(queries) != 0 {
				t.Errorf("without push-down the source read %d of %d events with queries %q", got, n, queries)
			}
		})
	}
}
