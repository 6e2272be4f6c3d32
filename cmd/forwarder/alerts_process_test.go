package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// promtool returns the path of promtool: fails under CI=true when it is
// missing (scripts/test.sh installs Debian's prometheus package), skips
// otherwise.
func promtool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("promtool is missing: apt-get install prometheus")
	}
	t.Skip("promtool is missing: apt-get install prometheus")
	return ""
}

// scrape reads /metrics into samples keyed by the series in PromQL form.
func scrape(t *testing.T, admin string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "forwarder_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			var v float64
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			default:
				continue
			}
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[name+"{"+strings.Join(labels, ",")+"}"] = v
		}
	}
	return out
}

// TestAlertRulesAgainstARealRun: a forwarder with its HEC sink down, a rule
// that fails (dead letters) and a rejected reload is scraped twice; every
// series is extended linearly from the two scrapes into promtool's unit
// test input, and each alert of examples/monitoring/alerts.yml must fire
// exactly as that state implies — with the label values of the real
// series, so a renamed metric or label breaks the test.
func TestAlertRulesAgainstARealRun(t *testing.T) {
	bin := promtool(t)
	rules, _ := filepath.Abs("../../examples/monitoring/alerts.yml")
	if out, err := exec.Command(bin, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	hec := hectest.New(t, hectest.Config{})
	hec.SetBusy(true)
	emu := procEmulator(t, "alerts", 1)
	f := startFeeder(t, emu, "alerts", 1, 1_000_000, 1000)
	defer func() { close(f.stop); f.wait() }()
	admin := freeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "f.hcl")
	good := slsSourceBlock(emu, "alerts", "siem", `fetch_log_groups = 2`) + `
source "demo" "d" { rate = 500 }
rule "parse" {
  filter = "fromJSON(fields['no_such_field'] ?? 'not json') == nil"
}
` + hecSinkBlock("soc", hec.URL()) + `
sink "file" "archive" { path = "` + filepath.Join(dir, "archive.ndjson") + `" }
sink "file" "dead" { path = "` + filepath.Join(dir, "dead.ndjson") + `" }
route "soc" {
  from = [source.sls.audit]
  to   = [sink.splunk_hec.soc]
}
route "r" {
  from        = [source.demo.d]
  rules       = [rule.parse]
  to          = [sink.file.archive]
  dead_letter = sink.file.dead
}
`
	writeConf(t, cfg, good)
	p := startProc(t, cfg, "--admin="+admin, "--no-watch")
	waitUntil(t, "the sink retrying", 20*time.Second, func() bool { return strings.Contains(p.log(), "retrying") })
	writeConf(t, cfg, good+"\nroute \"broken\" {\n")
	p.signal(t, syscall.SIGHUP)
	waitUntil(t, "the rejected reload", 10*time.Second, func() bool { return strings.Contains(p.log(), "reload rejected") })
	time.Sleep(3 * time.Second) // the HEC lane's window is full; its lag grows
	s1, t1 := scrape(t, admin), time.Now()
	time.Sleep(5 * time.Second)
	s2, t2 := scrape(t, admin), time.Now()

	var in strings.Builder
	keys := make([]string, 0, len(s2))
	for k := range s2 {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	perMinute := 60 / t2.Sub(t1).Seconds()
	for _, k := range keys {
		v1, ok := s1[k]
		if !ok {
			v1 = s2[k]
		}
		step := (s2[k] - v1) * perMinute
		fmt.Fprintf(&in, "      - series: '%s'\n        values: '%g%+gx60'\n", k, s2[k], step)
	}
	has := func(prefix string) bool {
		for _, k := range keys {
			if strings.HasPrefix(k, prefix) && s2[k] > 0 {
				return true
			}
		}
		return false
	}
	if !has(`forwarder_sink_retrying{sink="splunk_hec.soc"}`) || !has(`forwarder_route_events_total{outcome="dead_lettered",route="r"}`) ||
		!has(`forwarder_source_shard_lag_seconds{lane="splunk_hec.soc"`) {
		t.Fatalf("the scrape lacks the down sink or the dead letters:\n%s", in.String())
	}
	test := fmt.Sprintf(`rule_files:
  - %s
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
%s    alert_rule_test:
      - eval_time: 30m
        alertname: ForwarderSinkDown
        exp_alerts:
          - exp_labels: {severity: critical, sink: splunk_hec.soc}
            exp_annotations:
              summary: "forwarder sink splunk_hec.soc has been failing for 5 minutes"
              description: "Writes to splunk_hec.soc fail and are retried; its lane's backlog stays in SLS. See /-/ready for the last error."
      - eval_time: 30m
        alertname: ForwarderReloadFailed
        exp_alerts:
          - exp_labels: {severity: warning}
            exp_annotations:
              summary: "the last configuration reload was rejected; the previous plan keeps running"
              description: "See the forwarder log for the diagnostics (file:line:col), or run forwarder validate."
      - eval_time: 30m
        alertname: ForwarderDeadLettersRising
        exp_alerts:
          - exp_labels: {severity: warning, route: r}
            exp_annotations:
              summary: "route r dead-letters events"
              description: "Events fail a rule of the route; they go to its dead_letter sink with the reason."
      - eval_time: 30m
        alertname: ForwarderEventsLost
        exp_alerts: []
      - eval_time: 30m
        alertname: ForwarderSourceLagGrowing
        exp_alerts:
          - exp_labels: {severity: warning, source: sls.audit, lane: splunk_hec.soc}
            exp_annotations:
              summary: "forwarder sls.audit lane splunk_hec.soc is more than 5 minutes behind and falling further"
              description: "The data it reads is older than 5 minutes and getting older; unread data expires with the logstore's retention."
`, rules, in.String())
	path := filepath.Join(dir, "alerts_test.yml")
	if err := os.WriteFile(path, []byte(test), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "test", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s\n--- test file ---\n%s", err, out, test)
	}
}
