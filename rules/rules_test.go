package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/forwarder/forwarder/event"
)

const sampleEvent = `{"eventId":"5f0c2d1e","eventName":"CreateAccessKey","eventSource":"ram.aliyuncs.com","eventType":"ApiCall","sourceIpAddress":"203.0.113.45","userIdentity":{"type":"ram-user","principalId":"276543210987654321","accountId":"1234567890123456","userName":"ci-deployer","accessKeyId":"LTAI5tExampleKeyId01"},"requestParameters":{"UserName":"ci-deployer"},"tags":["a","b"],"code":200}`

func sample() *event.Event {
	return &event.Event{
		Time:   time.Unix(1795939202, 5e8),
		Topic:  "actiontrail_audit_event",
		Source: "100.104.12.8",
		Tags:   []event.Tag{{Key: "__receive_time__", Value: "1795939202"}, {Key: "__pack_id__", Value: "A-1"}},
		Fields: []event.Field{{Key: "event", Value: event.String(sampleEvent)}, {Key: "owner_id", Value: event.String("1234567890123456")}, {Key: "a-b", Value: event.String("dash")}},
	}
}

func lit(code string) *Expr {
	return &Expr{Code: code, Range: hcl.Range{Filename: "t.hcl", Start: hcl.Pos{Line: 1, Column: 1}}}
}

func mustCompile(t testing.TB, s Spec) *Rule {
	t.Helper()
	r, diags := Compile(s)
	if diags.HasErrors() {
		t.Fatalf("compile %q: %s", s.Name, diags.Error())
	}
	return r
}

func TestRunTable(t *testing.T) {
	cases := []struct {
		name    string
		spec    Spec
		out     Outcome
		want    map[string]string // field → JSON encoding of the value
		meta    map[string]string
		noField []string
	}{
		{name: "filter on topic keeps", spec: Spec{Filter: lit("topic == 'actiontrail_audit_event'")}, out: Pass},
		{name: "filter on topic drops", spec: Spec{Filter: lit("topic == 'waf'")}, out: Filtered},
		{name: "filter looks inside JSON before decode", spec: Spec{Filter: lit("event.userIdentity.type == 'ram-user' && event.code == 200")}, out: Pass},
		{name: "decode and set", spec: Spec{DecodeJSON: []string{"event"}, Set: []Assign{{Key: "user", Value: *lit("event.userIdentity.userName")}, {Key: "action", Value: *lit("event.eventName")}}}, out: Pass,
			want: map[string]string{"user": `"ci-deployer"`, "action": `"CreateAccessKey"`, "event": sampleEvent}},
		{name: "index into array and fields[]", spec: Spec{Set: []Assign{{Key: "t", Value: *lit("event.tags[1] + fields['a-b']")}}}, out: Pass, want: map[string]string{"t": `"bdash"`}},
		{name: "object value", spec: Spec{Set: []Assign{{Key: "who", Value: *lit("event.userIdentity")}}}, out: Pass,
			want: map[string]string{"who": `{"accessKeyId":"LTAI5tExampleKeyId01","accountId":"1234567890123456","principalId":"276543210987654321","type":"ram-user","userName":"ci-deployer"}`}},
		{name: "tags and meta", spec: Spec{Meta: []Assign{{Key: "sourcetype", Value: *lit("'alicloud:' + tags['__pack_id__']")}, {Key: "index", Value: *lit("owner_id")}}, Delete: []string{"__tag__:__pack_id__", "owner_id"}}, out: Pass,
			meta: map[string]string{"sourcetype": "alicloud:A-1", "index": "1234567890123456"}, noField: []string{"owner_id"}},
		{name: "builtins and let", spec: Spec{Set: []Assign{{Key: "n", Value: *lit("let u = upper(event.eventName); len(u) > 3 ? lower(u) : 'x'")}}}, out: Pass, want: map[string]string{"n": `"createaccesskey"`}},
		{name: "cidr", spec: Spec{Filter: lit("cidr(event.sourceIpAddress, '203.0.113.0/24') && !cidr(source, '10.0.0.0/8')")}, out: Pass},
		{name: "runtime error dead-letters", spec: Spec{Set: []Assign{{Key: "x", Value: *lit("fields['a-b'].foo")}}}, out: Failed},
		{name: "runtime error kept", spec: Spec{OnError: Keep, DecodeJSON: []string{"owner_id", "a-b"}, Set: []Assign{{Key: "y", Value: *lit("'ok'")}}}, out: Pass, want: map[string]string{"y": `"ok"`, "a-b": `"dash"`}},
		{name: "runtime error dropped", spec: Spec{OnError: Drop, DecodeJSON: []string{"a-b"}}, out: Dropped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Name = "r"
			r := mustCompile(t, tc.spec)
			ev := sample()
			out, err := NewEvaluator().Run([]*Rule{r}, ev)
			if out != tc.out {
				t.Fatalf("outcome = %v (err %v), want %v", out, err, tc.out)
			}
			if (out == Failed || out == Dropped) && (err == nil || !strings.Contains(err.Error(), `rule "r"`)) {
				t.Fatalf("error %v does not name the rule", err)
			}
			for k, want := range tc.want {
				v, ok := ev.Get(k)
				if !ok {
					t.Fatalf("field %q missing", k)
				}
				if got := string(event.AppendValue(nil, v)); got != want {
					t.Errorf("field %q = %s, want %s", k, got, want)
				}
			}
			for k, want := range tc.meta {
				if got, _ := ev.MetaValue(k); got != want {
					t.Errorf("meta %q = %q, want %q", k, got, want)
				}
			}
			for _, k := range tc.noField {
				if _, ok := ev.Get(k); ok {
					t.Errorf("field %q still present", k)
				}
			}
		})
	}
}

// TestOrigin: rules see where an event was read (project, logstore, shard,
// source_name), a content field of the same name stays reachable through
// fields[], and nothing of the origin is written into the event unless a
// rule copies it.
func TestOrigin(t *testing.T) {
	sls := &event.Origin{Source: "sls.audit", Project: "audit-prod", Logstore: "lb", Shard: 3}
	demo := &event.Origin{Source: "demo.audit", Shard: -1}
	cases := []struct {
		name   string
		origin *event.Origin
		expr   string
		want   string // JSON of the result
	}{
		{"logstore", sls, "logstore", `"lb"`},
		{"project", sls, "project", `"audit-prod"`},
		{"shard is an int", sls, "shard + 1", `4`},
		{"source_name", sls, "source_name", `"sls.audit"`},
		{"all in one", sls, "project + '/' + logstore + '#' + string(shard) + ' ' + source_name", `"audit-prod/lb#3 sls.audit"`},
		{"index by logstore", sls, "{la: 'audit_a', lb: 'audit_b'}[logstore] ?? 'main'", `"audit_b"`},
		{"demo has a name only", demo, "[source_name, project, logstore, shard]", `["demo.audit","","",-1]`},
		{"unknown origin", nil, "[source_name, project, logstore, shard]", `["","","",-1]`},
		{"a field named like an origin member", sls, "fields['project']", `"field value"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompile(t, Spec{Name: "r", Set: []Assign{{Key: "got", Value: *lit(tc.expr)}}})
			ev := sample()
			ev.Set("project", event.String("field value"))
			ev.Origin = tc.origin
			if out, err := NewEvaluator().Run([]*Rule{r}, ev); out != Pass {
				t.Fatalf("outcome %v: %v", out, err)
			}
			v, _ := ev.Get("got")
			if got := string(event.AppendValue(nil, v)); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
			}
			body := string(event.AppendJSON(nil, ev, true))
			for _, leak := range []string{`"logstore"`, `"shard"`, `"source_name"`, "sls.audit"} {
				if strings.Contains(body, leak) && !strings.Contains(tc.expr, "source_name") {
					t.Errorf("event body %s carries the origin (%s) though no rule copied it", body, leak)
				}
			}
		})
	}
	// A mistyped comparison is a compile error, not a run-time surprise.
	if _, diags := Compile(Spec{Name: "r", Filter: lit("shard == 'x'")}); !diags.HasErrors() {
		t.Error("shard == 'x' compiled; shard should be typed int")
	}
}

// TestNonFinite: a zero divisor and a result JSON cannot carry (NaN, ±Inf)
// are rule errors naming the expression and where it failed, never a null.
func TestNonFinite(t *testing.T) {
	cases := []struct {
		name, code string
		filter     bool
		pos        string // position in the error
		msg        string
	}{
		{name: "literal division", code: "1/0", pos: "t.hcl:1:2", msg: "division by zero"},
		{name: "computed zero", code: "len(owner_id) / (len(topic) - 23)", pos: "t.hcl:1:15", msg: "division by zero"},
		{name: "float zero", code: "2.5 / (len(topic) * 0.0)", pos: "t.hcl:1:5", msg: "division by zero"},
		{name: "modulo", code: "len(owner_id) % (len(topic) - 23)", pos: "t.hcl:1:15", msg: "division by zero"},
		{name: "in a filter", code: "1 / (len(topic) - 23) > 0", filter: true, pos: "t.hcl:1:3", msg: "division by zero"},
		{name: "overflow", code: "10 ** 400", pos: "t.hcl:1:1", msg: "not a finite number (+Inf)"},
		{name: "NaN", code: "float('NaN')", pos: "t.hcl:1:1", msg: "not a finite number (NaN)"},
		{name: "inside an object", code: "{'a': [1, 10.0 ** 400]}", pos: "t.hcl:1:1", msg: "not a finite number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := lit(tc.code)
			e.Pos = func(off int) hcl.Pos { return hcl.Pos{Line: 1, Column: 1 + off, Byte: off} } // one line, no escapes
			spec := Spec{Name: "r"}
			if tc.filter {
				spec.Filter = e
			} else {
				spec.Set = []Assign{{Key: "x", Value: *e}}
			}
			ev := sample()
			out, err := NewEvaluator().Run([]*Rule{mustCompile(t, spec)}, ev)
			if out != Failed {
				v, _ := ev.Get("x")
				t.Fatalf("outcome = %v, x = %s; want Failed", out, event.AppendValue(nil, v))
			}
			for _, want := range []string{tc.msg, "at " + tc.pos, strconvQuote(tc.code), `rule "r"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if _, ok := ev.Get("x"); ok {
				t.Errorf("field x was set")
			}
		})
	}
	// Division itself still works.
	ev := sample()
	out, err := NewEvaluator().Run([]*Rule{mustCompile(t, Spec{Name: "r", Set: []Assign{{Key: "x", Value: *lit("len(topic) / 2 + len(topic) % 5")}}})}, ev)
	v, _ := ev.Get("x")
	if out != Pass || string(event.AppendValue(nil, v)) != "14.5" {
		t.Fatalf("outcome %v err %v x = %s, want 14.5", out, err, event.AppendValue(nil, v))
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
