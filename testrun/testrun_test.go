package testrun_test

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/testrun"
)

// pipeline is the configuration every test block below runs against.
const pipeline = `
source "demo" "in" {
}

sink "file" "out" {
  path = "-"
}

rule "actiontrail" {
  filter      = "topic == 'actiontrail_audit_event'"
  decode_json = ["event"]
  set = {
    user   = "event.userIdentity.userName"
    action = "event.eventName"
    failed = "event.errorCode != nil"
    host   = "tags['__hostname__'] ?? 'none'"
  }
  meta = { sourcetype = "'alicloud:actiontrail'" }
}

rule "strict" {
  set      = { n = "int(count) + 1" }
  on_error = "dead_letter"
}

rule "lenient" {
  set      = { n = "int(count) + 1" }
  on_error = "drop"
}

route "audit" {
  from  = [source.demo.in]
  rules = [rule.actiontrail]
  to    = [sink.file.out]
}

route "strict" {
  from  = [source.demo.in]
  rules = [rule.strict]
  to    = [sink.file.out]
}

route "lenient" {
  from  = [source.demo.in]
  rules = [rule.lenient]
  to    = [sink.file.out]
}
`

const login = `{\"eventName\":\"Login\",\"userIdentity\":{\"userName\":\"alice\"}}`

func run(t *testing.T, tests string) []testrun.Result {
	t.Helper()
	fsys := fstest.MapFS{"pipeline.hcl": {Data: []byte(pipeline)}, "tests.hcl": {Data: []byte(tests)}}
	cfg, diags := config.LoadFS(fsys, "pipeline.hcl", "tests.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := plan.Compile(cfg, builtin.Registries(), config.Validate)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return testrun.Run(p)
}

// TestRun: a test block passes when the route's rules produce what it
// expects, and fails with a line per difference otherwise.
func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		test     string
		failures []string // substrings, one per failure; none: the test passes
	}{
		{"passes", `
  route = route.audit
  input = { __topic__ = "actiontrail_audit_event", event = "` + login + `", "__tag__:__hostname__" = "h1" }
  expect      = { action = "Login", user = "alice", failed = false, host = "h1", __topic__ = "actiontrail_audit_event" }
  expect_meta = { sourcetype = "alicloud:actiontrail" }`, nil},
		{"decoded JSON compares as JSON", `
  route  = route.audit
  input  = { __topic__ = "actiontrail_audit_event", event = "` + login + `" }
  expect = { event = { eventName = "Login", userIdentity = { userName = "alice" } } }`, nil},
		{"a null expectation means absent", `
  route  = route.audit
  input  = { __topic__ = "actiontrail_audit_event", event = "` + login + `" }
  expect = { nothing_here = null }`, nil},
		{"wrong values", `
  route       = route.audit
  input       = { __topic__ = "actiontrail_audit_event", event = "` + login + `" }
  expect      = { action = "Logout", user = "alice", missing = "x" }
  expect_meta = { sourcetype = "other" }`, []string{
			`action = "Login", want "Logout"`,
			`missing: missing, want "x"`,
			`meta.sourcetype = "alicloud:actiontrail", want "other"`,
		}},
		{"dropped as expected", `
  route          = route.audit
  input          = { __topic__ = "waf_access_log" }
  expect_dropped = true`, nil},
		{"expected dropped but passed", `
  route          = route.audit
  input          = { __topic__ = "actiontrail_audit_event", event = "` + login + `" }
  expect_dropped = true`, []string{"expected the event to be dropped, but it passed"}},
		{"expected to pass but filtered", `
  route = route.audit
  input = { __topic__ = "oss" }`, []string{"expected the event to pass, but it was filtered out"}},
		{"dead-lettered as expected", `
  route              = route.strict
  input              = { count = "not a number" }
  expect_dead_letter = true`, nil},
		{"dead-lettered unexpectedly", `
  route = route.strict
  input = { count = "x" }`, []string{"expected the event to pass, but it was dead-lettered"}},
		{"on_error drop counts as dropped", `
  route          = route.lenient
  input          = { count = "x" }
  expect_dropped = true`, nil},
		{"expected dead letter but passed", `
  route              = route.strict
  input              = { count = "41" }
  expect             = { n = 42 }
  expect_dead_letter = true`, []string{"expected the event to be dead-lettered, but it passed"}},
		{"bad input time", `
  route = route.strict
  input = { __time__ = "yesterday", count = "1" }`, []string{`input: __time__ "yesterday" is neither unix seconds nor RFC 3339`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, "test \"t\" {"+tc.test+"\n}\n")
			if len(res) != 1 || res[0].Name != "t" {
				t.Fatalf("results %+v, want one named t", res)
			}
			r := res[0]
			if r.Pass != (len(tc.failures) == 0) {
				t.Errorf("Pass = %v, failures %q", r.Pass, r.Failures)
			}
			if len(r.Failures) != len(tc.failures) {
				t.Fatalf("failures %q, want %d like %q", r.Failures, len(tc.failures), tc.failures)
			}
			for i, want := range tc.failures {
				if !strings.Contains(r.Failures[i], want) {
					t.Errorf("failure %d = %q, want it to contain %q", i, r.Failures[i], want)
				}
			}
		})
	}
}

// TestRunEveryBlock: Run reports every test block, in file order.
func TestRunEveryBlock(t *testing.T) {
	res := run(t, `
test "first" {
  route          = route.audit
  input          = { __topic__ = "x" }
  expect_dropped = true
}
test "second" {
  route = route.audit
  input = { __topic__ = "x" }
}
`)
	if len(res) != 2 || res[0].Name != "first" || !res[0].Pass || res[1].Name != "second" || res[1].Pass {
		t.Errorf("results %+v, want first passing and second failing", res)
	}
}

// TestInput: keys follow SLS (__topic__, __source__, __time__ as unix
// seconds or RFC 3339, __tag__:NAME); other values become string fields,
// non-strings JSON-encoded.
func TestInput(t *testing.T) {
	ev, err := testrun.Input(map[string]cty.Value{
		"__topic__":        cty.StringVal("topic"),
		"__source__":       cty.StringVal("10.0.0.1"),
		"__time__":         cty.StringVal("1764000000"),
		"__tag__:__pack__": cty.StringVal("p-1"),
		"n":                cty.NumberIntVal(42),
		"obj":              cty.ObjectVal(map[string]cty.Value{"a": cty.True}),
		"s":                cty.StringVal("text"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Topic != "topic" || ev.Source != "10.0.0.1" || !ev.Time.Equal(time.Unix(1764000000, 0)) {
		t.Errorf("topic %q source %q time %v", ev.Topic, ev.Source, ev.Time)
	}
	if v, ok := ev.Tag("__pack__"); !ok || v != "p-1" {
		t.Errorf("tag = %q %v", v, ok)
	}
	for k, want := range map[string]string{"n": "42", "obj": `{"a":true}`, "s": "text"} {
		if v, ok := ev.Get(k); !ok || v.Str() != want {
			t.Errorf("%s = %q %v, want %q", k, v.Str(), ok, want)
		}
	}
	ev, err = testrun.Input(map[string]cty.Value{"__time__": cty.StringVal("2026-11-24T08:15:02.5Z")})
	if err != nil || !ev.Time.Equal(time.Date(2026, 11, 24, 8, 15, 2, 500_000_000, time.UTC)) {
		t.Errorf("RFC 3339 time: %v %v", ev, err)
	}
	ev, err = testrun.Input(nil)
	if err != nil || !ev.Time.Equal(time.Unix(0, 0)) || len(ev.Fields) != 0 {
		t.Errorf("empty input: %+v %v", ev, err)
	}
}
