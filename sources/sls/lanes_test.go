package sls_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdk "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/internal/slsemu"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
	"github.com/forwarder/forwarder/sources/sls"
)

func laneHCL(endpoint, logstore, lanes, hecURL, out string) string {
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
  fetch_log_groups    = 2
  checkpoint_interval = "100ms"
  %s
}
sink "splunk_hec" "soc" {
  endpoint    = %q
  token       = env("TEST_HEC_TOKEN")
  compression = "none"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "500ms"
  }
}
sink "file" "archive" {
  path = %q
}
route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc, sink.file.archive]
}
`, endpoint, project, logstore, lanes, hecURL, out)
}

// TestLanePlan: per-sink lanes (the default) give each sink its own
// consumer group with only its routes; "shared" gives one lane and a
// warning when it fans out.
func TestLanePlan(t *testing.T) {
	t.Setenv("TEST_HEC_TOKEN", hectest.DefaultToken)
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	p := fwdtest.Compile(t, builtin.Registries(), laneHCL("http://127.0.0.1:1", "x", "", "https://127.0.0.1:8088", "/dev/null"))
	var got []string
	for _, l := range p.Lanes() {
		got = append(got, l.Key+"="+l.Config.(*sls.Config).ConsumerGroup+fmt.Sprint(l.Routes[0].To))
	}
	want := "sls.audit>splunk_hec.soc=siem-splunk_hec-soc[splunk_hec.soc] sls.audit>file.archive=siem-file-archive[file.archive]"
	if strings.Join(got, " ") != want {
		t.Errorf("lanes:\n got  %s\n want %s", strings.Join(got, " "), want)
	}
	if !p.Lanes()[0].Routes[0].Primary || p.Lanes()[1].Routes[0].Primary {
		t.Error("the route's first sink's lane must be its primary lane, and only that one")
	}

	path := filepath.Join(t.TempDir(), "f.hcl")
	if err := os.WriteFile(path, []byte(laneHCL("http://127.0.0.1:1", "x", `lanes = "shared"`, "https://127.0.0.1:8088", "/dev/null")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags = plan.Compile(cfg, builtin.Registries(), config.Validate)
	if diags.HasErrors() || len(p.Lanes()) != 1 || p.Lanes()[0].Key != "sls.audit" {
		t.Fatalf("shared: %v, lanes %d", diags, len(p.Lanes()))
	}
	warned := false
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning && d.Summary == "Shared lane fans out" && d.Subject != nil && d.Subject.Start.Line == 2 {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no fan-out warning at the source block: %v", diags)
	}
}

// TestLaneOutageNeverStallsAnother: HEC is down (503 busy) while more
// events than the in-flight window arrive; the file lane delivers every
// one of them and checkpoints past them meanwhile; HEC's lane gets every
// event once it recovers.
func TestLaneOutageNeverStallsAnother(t *testing.T) {
	const shards, n = 2, 30000 // window: 2 shards × 4 pulls × 2 groups × 500 = 8000 events
	emu := emulator(t, "lanes", shards, n)
	hec := hectest.New(t, hectest.Config{})
	hec.SetBusy(true)
	t.Setenv("TEST_HEC_TOKEN", hectest.DefaultToken)
	out := filepath.Join(t.TempDir(), "archive.ndjson")
	rt := startRuntime(t, laneHCL(emu.Endpoint(), "lanes", "", hec.URL(), out))
	defer shutdown(rt)
	waitFor(t, "every event in the file lane while HEC is down", 60*time.Second, func() bool {
		seen, _ := readSeqs(t, out)
		return len(seen) == n
	})
	if hec.EventCount() != 0 {
		t.Fatalf("HEC indexed %d events while busy", hec.EventCount())
	}
	waitFor(t, "the file lane's checkpoints at the shard ends", 10*time.Second, func() bool {
		return checkpointsAtEnd(t, emu, "lanes", "siem-file-archive", shards)
	})
	hec.SetBusy(false)
	if checkpointsAtEnd(t, emu, "lanes", "siem-splunk_hec-soc", shards) {
		t.Fatal("HEC's lane checkpointed past events HEC never indexed")
	}
	waitFor(t, "every event at HEC after recovery", 60*time.Second, func() bool { return hec.EventCount() >= n })
	seen := map[string]int{}
	for _, e := range hec.Events() {
		seen[string(e.Event)]++
	}
	if len(seen) != n {
		t.Errorf("HEC has %d distinct events, want %d", len(seen), n)
	}
}

// checkpointsAtEnd reports whether every shard's checkpoint in group is
// the shard's end cursor.
func checkpointsAtEnd(t *testing.T, emu *slsemu.Server, logstore, group string, shards int) bool {
	t.Helper()
	c := &sdk.Client{Endpoint: emu.Endpoint(), AccessKeyID: akID, AccessKeySecret: akKey, HTTPClient: emu.HTTPClient(),
		RequestTimeOut: 10 * time.Second, RetryTimeOut: 5 * time.Second}
	g, err := emu.Group(project, logstore, group)
	if err != nil {
		return false
	}
	ok := 0
	for _, cp := range g.Checkpoints {
		if end, err := c.GetCursor(project, logstore, cp.Shard, "end"); err == nil && cp.Checkpoint == end {
			ok++
		}
	}
	return ok == shards
}

// TestLaneReloadAddsAndRemovesSinks: adding a sink starts only its lane and
// removing it stops only its lane; the untouched lane keeps its shards (no
// reassignment) and loses nothing.
func TestLaneReloadAddsAndRemovesSinks(t *testing.T) {
	const shards, n = 2, 20000
	emu := emulator(t, "lane-reload", shards, n)
	dir := t.TempDir()
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	out, extra := filepath.Join(t.TempDir(), "out.ndjson"), filepath.Join(t.TempDir(), "extra.ndjson")
	conf := func(withExtra bool) string {
		s := sourceHCL(emu.Endpoint(), "lane-reload", out, `fetch_log_groups = 1`)
		if withExtra {
			s = strings.Replace(s, "to   = [sink.file.out]", "to   = [sink.file.out, sink.file.extra]", 1)
			s += fmt.Sprintf("sink \"file\" \"extra\" {\n  path = %q\n}\n", extra)
		}
		return s
	}
	write := func(src string) {
		if err := os.WriteFile(filepath.Join(dir, "f.hcl"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(conf(false))
	rt := engine.New(engine.Settings{})
	defer shutdown(rt)
	rl := fwdtest.StartReloader(t, rt, slog.Default(), dir)
	waitFor(t, "both shards held", 20*time.Second, func() bool {
		as, err := emu.Assignments(project, "lane-reload", "siem-file-out")
		return err == nil && len(as) == shards
	})
	history, _ := emu.AssignmentHistory(project, "lane-reload", "siem-file-out")
	for i, withExtra := range []bool{true, false, true} {
		write(conf(withExtra))
		if err := rl.Reload("test"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			waitFor(t, "the new lane reads", 20*time.Second, func() bool { seen, _ := readSeqs(t, extra); return len(seen) > 0 })
		}
		time.Sleep(800 * time.Millisecond)
	}
	waitFor(t, "every event in the untouched lane", 60*time.Second, func() bool { seen, _ := readSeqs(t, out); return len(seen) == n })
	after, _ := emu.AssignmentHistory(project, "lane-reload", "siem-file-out")
	if len(after) != len(history) {
		t.Errorf("the untouched lane was reassigned %d times: %+v", len(after)-len(history), after[len(history):])
	}
	seen, _ := readSeqs(t, out)
	dups := 0
	for _, c := range seen {
		dups += c - 1
	}
	t.Logf("untouched lane: %d events, 0 lost, %d duplicated", len(seen), dups)
	if dups != 0 {
		t.Errorf("the untouched lane delivered %d duplicates", dups)
	}
	waitFor(t, "the re-added lane catches up", 60*time.Second, func() bool { seen, _ := readSeqs(t, extra); return len(seen) == n })
}

// TestLanePushDown: each per-sink lane asks SLS only for what its own
// routes keep.
func TestLanePushDown(t *testing.T) {
	t.Setenv("TEST_HEC_TOKEN", hectest.DefaultToken)
	t.Setenv("TEST_SLS_AK_ID", akID)
	t.Setenv("TEST_SLS_AK_KEY", akKey)
	src := laneHCL("http://127.0.0.1:1", "x", "", "https://127.0.0.1:8088", "/dev/null")
	src = strings.Replace(src, `route "r" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc, sink.file.archive]
}`, `rule "at" {
  filter = "topic == 'actiontrail_audit_event'"
}
rule "waf" {
  filter = "topic == 'waf_access_log'"
}
route "soc" {
  from  = [source.sls.audit]
  rules = [rule.at]
  to    = [sink.splunk_hec.soc]
}
route "archive" {
  from  = [source.sls.audit]
  rules = [rule.waf]
  to    = [sink.file.archive]
}`, 1)
	p := fwdtest.Compile(t, builtin.Registries(), src)
	got := map[string]string{}
	for _, l := range p.Lanes() {
		got[l.Sink] = l.PushDown.Query
	}
	if !strings.Contains(got["splunk_hec.soc"], "actiontrail_audit_event") || strings.Contains(got["splunk_hec.soc"], "waf") {
		t.Errorf("soc lane query %q", got["splunk_hec.soc"])
	}
	if !strings.Contains(got["file.archive"], "waf_access_log") || strings.Contains(got["file.archive"], "actiontrail") {
		t.Errorf("archive lane query %q", got["file.archive"])
	}
}
