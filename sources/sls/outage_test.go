package sls_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// TestSinkOutageNeverCheckpointsAhead: HEC answers 503 (busy) for 10 s
// mid-stream. Sampled again and again during the outage, no shard's
// checkpoint passes an event HEC has not indexed; after recovery every
// event arrives.
func TestSinkOutageNeverCheckpointsAhead(t *testing.T) {
	const shards, perGroup, n = 4, 500, 40000
	emu := emulator(t, "outage", shards, n)
	hec := hectest.New(t, hectest.Config{})
	t.Setenv("TEST_HEC_TOKEN", hectest.DefaultToken)
	hcl := fmt.Sprintf(`
source "sls" "audit" {
  endpoint            = %q
  project             = %q
  logstore            = "outage"
  consumer_group      = "siem"
  consumer_name       = "fwd-1"
  access_key_id       = env("TEST_SLS_AK_ID")
  access_key_secret   = env("TEST_SLS_AK_KEY")
  heartbeat_interval  = "1s"
  fetch_log_groups    = 2
  checkpoint_interval = "100ms"
}
sink "splunk_hec" "soc" {
  endpoint    = %q
  token       = env("TEST_HEC_TOKEN")
  compression = "none"
  batch {
    max_events = 200
  }
  retry {
    initial_backoff = "50ms"
    max_backoff     = "500ms"
  }
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc]
}
`, emu.Endpoint(), project, hec.URL())
	// Cursors are the shard's base plus a log-group index; learn the bases.
	c := &sdk.Client{Endpoint: emu.Endpoint(), AccessKeyID: akID, AccessKeySecret: akKey, HTTPClient: emu.HTTPClient(),
		RequestTimeOut: 10 * time.Second, RetryTimeOut: 5 * time.Second}
	base := map[int]int64{}
	for shard := range shards {
		b, err := c.GetCursor(project, "outage", shard, "begin")
		if err != nil {
			t.Fatal(err)
		}
		base[shard], _ = slsemu.DecodeCursor(b)
	}
	rt := startRuntime(t, hcl)
	defer shutdown(rt)
	waitFor(t, "some events", 60*time.Second, func() bool { return hec.EventCount() > 2000 })
	hec.SetBusy(true)
	end := time.Now().Add(10 * time.Second)
	samples, frozenAt := 0, -1
	for time.Now().Before(end) {
		g, err := emu.Group(project, "outage", "siem-splunk_hec-soc")
		if err != nil {
			t.Fatal(err)
		}
		indexed := indexedSeqs(t, hec)
		for _, cp := range g.Checkpoints {
			pos, ok := slsemu.DecodeCursor(cp.Checkpoint)
			if cp.Checkpoint == "" || !ok {
				continue
			}
			groups := pos - base[cp.Shard]
			// Group k of this shard is global group k*shards+shard, holding
			// demo_seq k*shards*perGroup + shard*perGroup + 1 … +perGroup.
			for k := int64(0); k < groups; k++ {
				first := int(k)*shards*perGroup + cp.Shard*perGroup + 1
				for seq := first; seq < first+perGroup && seq <= n; seq++ {
					if !indexed[seq] {
						missing := 0
						for q := first; q < first+perGroup; q++ {
							if !indexed[q] {
								missing++
							}
						}
						t.Fatalf("shard %d checkpointed at group %d (%s), but event %d of group %d was never indexed (%d of its %d missing; %d indexed in all)",
							cp.Shard, groups, cp.Checkpoint, seq, k, missing, perGroup, len(indexed))
					}
				}
			}
		}
		if frozenAt < 0 && time.Until(end) < 5*time.Second {
			frozenAt = len(indexed)
		}
		samples++
		time.Sleep(200 * time.Millisecond)
	}
	if got := hec.EventCount(); got != frozenAt {
		t.Errorf("events indexed while HEC was busy: %d then %d", frozenAt, got)
	}
	hec.SetBusy(false)
	waitFor(t, "every event after recovery", 60*time.Second, func() bool { return len(indexedSeqs(t, hec)) == n })
	t.Logf("%d checkpoint samples during the outage; %d events indexed, %d requests", samples, hec.EventCount(), hec.Requests())
}

func indexedSeqs(t *testing.T, hec *hectest.Server) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	for _, ev := range hec.Events() {
		var body struct {
			Seq string `json:"demo_seq"`
		}
		if err := json.Unmarshal(ev.Event, &body); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(body.Seq)
		out[n] = true
	}
	return out
}
