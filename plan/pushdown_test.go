package plan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

const pushDownSources = `
source "sls" "a" {
  endpoint       = "http://127.0.0.1:1"
  project        = "p"
  logstore       = "l"
  consumer_group = "g"
  %s
}
source "demo" "d" {
  count = 1
}
rule "waf" {
  filter = "topic == 'waf_access_log' && final_action != 'pass'"
}
rule "signin" {
  filter      = "topic == 'actiontrail_audit_event' && event.eventName == 'ConsoleSignin'"
  decode_json = ["event"]
}
rule "tag" {
  set = { x = "1" }
}
sink "file" "o" {
  path = "-"
}
`

func compileSrc(t *testing.T, src string) *plan.Plan {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p, diags := plan.Compile(cfg, builtin.Registries(), config.Validate)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return p
}

func route(name, from, rules string) string {
	return "route \"" + name + "\" {\n  from = [" + from + "]\n  rules = [" + rules + "]\n  to = [sink.file.o]\n}\n"
}

// longRoutes reads the sls source from many routes whose conditions differ,
// so their OR is longer than SLS accepts.
func longRoutes() string {
	var b strings.Builder
	for i := range 150 {
		fmt.Fprintf(&b, "rule \"l%d\" {\n  filter = \"operation == 'a-long-operation-name-number-%d-padding-padding-padding-padding-padding'\"\n}\n", i, i)
		b.WriteString(route(fmt.Sprintf("l%d", i), "source.sls.a", fmt.Sprintf("rule.l%d", i)))
	}
	return b.String()
}

func TestPushDownPerSource(t *testing.T) {
	const waf = `__topic__ = 'waf_access_log' and ("final_action" is null or "final_action" != 'pass')`
	const signin = `__topic__ = 'actiontrail_audit_event' and (json_extract_scalar("event", '$.eventName') = 'ConsoleSignin' or ("event" is not null and json_extract("event", '$') is null))`
	cases := []struct {
		name, attrs, routes string
		cond, query, note   string
	}{
		{name: "one route", routes: route("w", "source.sls.a", "rule.waf"), cond: waf, query: "* | where " + waf},
		{name: "two routes OR", routes: route("w", "source.sls.a", "rule.waf") + route("s", "source.sls.a, source.demo.d", "rule.signin, rule.tag"),
			cond: "(" + waf + ") or (" + signin + ")", query: "* | where (" + waf + ") or (" + signin + ")"},
		{name: "same condition twice", routes: route("w", "source.sls.a", "rule.waf") + route("w2", "source.sls.a", "rule.waf"), cond: waf, query: "* | where " + waf},
		{name: "a route with no filter", routes: route("w", "source.sls.a", "rule.waf") + route("all", "source.sls.a", "rule.tag"),
			note: `route "all" needs every event (no filter that SLS can evaluate)`},
		{name: "user query", attrs: `query = "* | where a = 'b'"`, routes: route("w", "source.sls.a", "rule.waf"), cond: waf, query: "* | where a = 'b' | where " + waf},
		{name: "off", attrs: "push_down = false\n  query = \"* | where a = 'b'\"", routes: route("w", "source.sls.a", "rule.waf"), query: "* | where a = 'b'", note: "push_down = false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := compileSrc(t, fmt.Sprintf(pushDownSources, tc.attrs)+tc.routes)
			var pd *plan.PushDown
			for _, s := range p.Sources() {
				switch s.Key {
				case "sls.a":
					pd = s.PushDown
				case "demo.d":
					if s.PushDown != nil {
						t.Errorf("demo source got a push-down: %+v", s.PushDown)
					}
				}
			}
			if pd == nil {
				t.Fatal("sls source has no push-down")
			}
			if pd.Condition != tc.cond || pd.Query != tc.query || pd.Note != tc.note {
				t.Errorf("got %+v\nwant cond %q\n     query %q\n     note %q", *pd, tc.cond, tc.query, tc.note)
			}
		})
	}
}

// TestPushDownTooLong: a query over SLS's limit is not sent.
func TestPushDownTooLong(t *testing.T) {
	for _, s := range compileSrc(t, fmt.Sprintf(pushDownSources, "")+longRoutes()).Sources() {
		if s.Key != "sls.a" {
			continue
		}
		if pd := s.PushDown; pd.Condition != "" || pd.Query != "" || !strings.Contains(pd.Note, "exceeds SLS's 10240-byte limit") {
			t.Errorf("got %+v", *pd)
		}
		return
	}
	t.Fatal("no sls source")
}

// TestPushDownFingerprint: a changed filter changes the source's
// fingerprint, so a reload restarts it with the new query.
func TestPushDownFingerprint(t *testing.T) {
	fp := func(routes string) string {
		for _, s := range compileSrc(t, fmt.Sprintf(pushDownSources, "")+routes).Sources() {
			if s.Key == "sls.a" {
				return s.Fingerprint
			}
		}
		t.Fatal("no sls source")
		return ""
	}
	a, b := fp(route("w", "source.sls.a", "rule.waf")), fp(route("w", "source.sls.a", "rule.signin"))
	if a == b {
		t.Error("fingerprint ignores the derived query")
	}
	if a != fp(route("other", "source.sls.a", "rule.waf")) {
		t.Error("fingerprint changed although the query did not")
	}
}
