package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/slsemu"
)

func TestPushDownSPL(t *testing.T) {
	f := func(code string) Spec { return Spec{Name: "r", Filter: lit(code)} }
	cases := []struct {
		name  string
		specs []Spec
		want  string // "" = no push-down
	}{
		{name: "topic", specs: []Spec{f("topic == 'actiontrail_audit_event'")}, want: "__topic__ = 'actiontrail_audit_event'"},
		{name: "literal first", specs: []Spec{f("'waf' == topic")}, want: "__topic__ = 'waf'"},
		{name: "empty topic is also a null topic", specs: []Spec{f("topic == ''")}, want: "__topic__ is null or __topic__ = ''"},
		{name: "not equal keeps missing fields", specs: []Spec{f("final_action != 'pass'")}, want: `"final_action" is null or "final_action" != 'pass'`},
		{name: "and", specs: []Spec{f("topic == 'waf_access_log' && final_action != 'pass'")},
			want: `__topic__ = 'waf_access_log' and ("final_action" is null or "final_action" != 'pass')`},
		{name: "or", specs: []Spec{f("source == 'a' || tags['__pack_id__'] == 'b'")}, want: `__source__ = 'a' or "__tag__:__pack_id__" = 'b'`},
		{name: "not becomes the false side", specs: []Spec{f("!(operation == 'GetObject')")}, want: `"operation" is null or "operation" != 'GetObject'`},
		{name: "in", specs: []Spec{f("operation in ['GetObject', 'PutObject']")}, want: `"operation" = 'GetObject' or "operation" = 'PutObject'`},
		{name: "not in", specs: []Spec{f("operation not in ['a', 'b']")}, want: `"operation" is null or ("operation" != 'a' and "operation" != 'b')`},
		{name: "startsWith", specs: []Spec{f("uri startsWith '/admin'")}, want: `"uri" like '/admin%'`},
		{name: "contains and endsWith", specs: []Spec{f("ua contains 'curl' || uri endsWith '.php'")}, want: `"ua" like '%curl%' or "uri" like '%.php'`},
		{name: "like wildcard in the literal is not translated", specs: []Spec{f("topic == 'x' && uri startsWith '50%'")}, want: "__topic__ = 'x'"},
		{name: "quote escaping", specs: []Spec{f(`fields["it's \"x\""] == "it's"`)}, want: `"it's ""x""" = 'it''s'`},
		{name: "nil", specs: []Spec{f("error != nil")}, want: `"error" is not null`},
		{name: "JSON path", specs: []Spec{f("event.eventName == 'ConsoleSignin'")},
			want: `json_extract_scalar("event", '$.eventName') = 'ConsoleSignin' or ("event" is not null and json_extract("event", '$') is null)`},
		{name: "JSON path with index", specs: []Spec{f("topic == 't' && event.resources[0].type == 'ACS::ECS'")},
			want: `__topic__ = 't' and (json_extract_scalar("event", '$.resources[0].type') = 'ACS::ECS' or ("event" is not null and json_extract("event", '$') is null))`},
		{name: "JSON not-equal with number-like text is only true", specs: []Spec{f("topic == 't' && event.code != '200'")}, want: `__topic__ = 't'`},
		{name: "JSON not nil", specs: []Spec{f("event.errorCode != nil")},
			want: `json_extract("event", '$.errorCode') is not null or ("event" is not null and json_extract("event", '$') is null)`},
		{name: "keep policy: a failing filter lets the event on", specs: []Spec{{Name: "r", Filter: lit("event.a == 'x'"), OnError: Keep}},
			want: `json_extract_scalar("event", '$.a') = 'x' or ("event" is not null and json_extract("event", '$') is null)`},
		{name: "untranslatable part is true", specs: []Spec{f("topic == 'a' && cidr(ip, '10.0.0.0/8')")}, want: "__topic__ = 'a'"},
		{name: "untranslatable first operand may fail", specs: []Spec{f("cidr(ip, '10.0.0.0/8') && topic == 'a'")}, want: ""},
		{name: "matches is not translated", specs: []Spec{f("uri matches '^/a'")}, want: ""},
		{name: "or with untranslatable", specs: []Spec{f("topic == 'a' || len(uri) > 3")}, want: ""},
		{name: "reserved names", specs: []Spec{f("fields['__topic__'] == 'a'")}, want: ""},
		{name: "backslash literal", specs: []Spec{f(`path == 'C:\\x'`)}, want: ""},
		{name: "no filter", specs: []Spec{{Name: "r", Set: []Assign{{Key: "a", Value: *lit("1")}}}}, want: ""},
		{name: "two filter-only rules", specs: []Spec{f("topic == 'a'"), f("user == 'b'")}, want: `__topic__ = 'a' and "user" = 'b'`},
		{name: "mutating rule with dead_letter ends the chain", specs: []Spec{
			{Name: "a", Filter: lit("topic == 'a'"), DecodeJSON: []string{"event"}}, f("user == 'b'")}, want: "__topic__ = 'a'"},
		{name: "mutating rule with keep: later filter on an untouched field", specs: []Spec{
			{Name: "a", Filter: lit("topic == 'a'"), Set: []Assign{{Key: "x", Value: *lit("1")}}, OnError: Keep}, f("user == 'b'")},
			want: `__topic__ = 'a' and "user" = 'b'`},
		{name: "mutating rule with keep: later filter on a set field", specs: []Spec{
			{Name: "a", Filter: lit("topic == 'a'"), Set: []Assign{{Key: "user", Value: *lit("'b'")}}, OnError: Keep}, f("user == 'b'")},
			want: "__topic__ = 'a'"},
		{name: "deleted tag", specs: []Spec{
			{Name: "a", Delete: []string{"__tag__:k"}, OnError: Keep}, f("tags.k == 'v' && topic == 'a'")}, want: "__topic__ = 'a'"},
		{name: "failing filter with dead_letter: later filters not required", specs: []Spec{f("event.a == 'x'"), f("topic == 'b'")},
			want: `(json_extract_scalar("event", '$.a') = 'x' and __topic__ = 'b') or ("event" is not null and json_extract("event", '$') is null)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rs []*Rule
			for _, s := range tc.specs {
				rs = append(rs, mustCompile(t, s))
			}
			got, ok := PushDown(rs)
			if tc.want == "" {
				if ok {
					t.Fatalf("pushed down %q, want nothing", got)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("got %q (ok=%v)\nwant %q", got, ok, tc.want)
			}
			if _, err := slsemu.MatchSPL("* | where "+got, &sls.LogGroup{}); err != nil {
				t.Fatalf("the emulator rejects %q: %v", got, err)
			}
		})
	}
}

// TestPushDownSuperset is the property: for random events and random
// filter chains from the translated grammar (plus parts it does not
// translate), every event the rules do not filter out locally (kept,
// dead-lettered or dropped by a failure) is kept by the emulator's
// evaluation of the derived SPL.
func TestPushDownSuperset(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 2026))
	runner := NewEvaluator()
	cases, pushed, narrowed := 0, 0, 0
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		specs := genChain(rng)
		var rs []*Rule
		compiled := true
		for _, s := range specs {
			r, diags := Compile(s)
			if diags.HasErrors() {
				compiled = false
				break
			}
			rs = append(rs, r)
		}
		if !compiled {
			continue
		}
		cond, ok := PushDown(rs)
		if ok {
			pushed++
		}
		query := "* | where " + cond
		for j := 0; j < 8; j++ {
			cases++
			lg, ev := genEvent(rng)
			out, _ := runner.Run(rs, ev)
			if !ok {
				continue
			}
			kept, err := slsemu.MatchSPL(query, lg)
			if err != nil {
				t.Fatalf("emulator rejects %q: %v", query, err)
			}
			if !kept[0] {
				narrowed++
			}
			if out != Filtered && !kept[0] {
				t.Fatalf("lost an event\nrules: %s\nSPL: %s\nevent: %s\nlocal outcome %d", describe(specs), cond, describeGroup(lg), out)
			}
		}
	}
	t.Logf("%d rule chains pushed down, %d events checked, %d filtered by SPL", pushed, cases, narrowed)
	if pushed < n/4 || narrowed < cases/10 {
		t.Fatalf("generator too weak: %d chains pushed down of %d, %d of %d events filtered", pushed, n, narrowed, cases)
	}
}

var (
	genLits   = []string{"", "a", "b", "ab", "ba", "5", "1.5", "true", "x'y", `q"`, "a%", "A"}
	genRefs   = []string{"topic", "source", "f", "g", "event", "tags['k']", "fields['f']", "event.name", "event.n", "event.b", "event.o.k", "event.arr[0]", "event.arr[1]", "event.z", "tags.k"}
	genOther  = []string{"f matches 'a.*'", "len(g ?? '') > 1", "cidr(f, '10.0.0.0/8')", "event?.name == 'a'", "upper(topic) == 'A'"}
	genValues = []string{"", "a", "ab", "ba", "A", "5", "true", "x'y", `q"`, "a%b",
		`{"name":"a","n":5,"b":true,"z":null,"o":{"k":"a"},"arr":["a",1]}`,
		`{"name":"ab","n":"5","b":"true","o":{"k":5},"arr":[1,"b"]}`,
		`{"name":5,"n":1.5,"z":"a","o":"a","arr":{}}`,
		`{"name":null,"o":[],"arr":[]}`,
		`"a"`, `5`, `[1,2]`, `{bad`, `{"name":"a"`, `{}`, `  {"name" : "b"}  `}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func quoteExpr(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func genAtom(rng *rand.Rand) string {
	switch rng.IntN(12) {
	case 0:
		return pick(rng, []string{"true", "false"})
	case 1:
		return pick(rng, genOther)
	}
	r := pick(rng, genRefs)
	switch rng.IntN(9) {
	case 0:
		return r + " != " + quoteExpr(pick(rng, genLits))
	case 1:
		return r + " in [" + quoteExpr(pick(rng, genLits)) + ", " + quoteExpr(pick(rng, genLits)) + "]"
	case 2:
		return r + " " + pick(rng, []string{"startsWith", "endsWith", "contains"}) + " " + quoteExpr(pick(rng, genLits))
	case 3:
		return r + pick(rng, []string{" == nil", " != nil"})
	case 4:
		return r + pick(rng, []string{" == 5", " == true", " != false", " == 1.5"})
	case 5:
		return r + " not in [" + quoteExpr(pick(rng, genLits)) + "]"
	}
	return r + " == " + quoteExpr(pick(rng, genLits))
}

func genExpr(rng *rand.Rand, depth int) string {
	if depth <= 0 || rng.IntN(3) == 0 {
		return genAtom(rng)
	}
	switch rng.IntN(4) {
	case 0:
		return "!(" + genExpr(rng, depth-1) + ")"
	case 1:
		return "(" + genExpr(rng, depth-1) + " || " + genExpr(rng, depth-1) + ")"
	}
	return "(" + genExpr(rng, depth-1) + " && " + genExpr(rng, depth-1) + ")"
}

func genChain(rng *rand.Rand) []Spec {
	var specs []Spec
	for i := 0; i <= rng.IntN(3); i++ {
		s := Spec{Name: fmt.Sprintf("r%d", i), OnError: OnError(rng.IntN(3))}
		if rng.IntN(5) != 0 {
			s.Filter = lit(genExpr(rng, 3))
		}
		switch rng.IntN(5) {
		case 0:
			s.DecodeJSON = []string{pick(rng, []string{"event", "f"})}
		case 1:
			s.Set = []Assign{{Key: pick(rng, []string{"f", "g", "h"}), Value: *lit(pick(rng, []string{"'a'", "event.name", "nil"}))}}
		case 2:
			s.Delete = []string{pick(rng, []string{"f", "__tag__:k"})}
		}
		if s.Filter == nil && len(s.DecodeJSON)+len(s.Set)+len(s.Delete) == 0 {
			s.Delete = []string{"g"}
		}
		specs = append(specs, s)
	}
	return specs
}

// genEvent returns one log as SLS stores it and as the sls source hands it
// to the rules (Topic/Source "" when SLS has none).
func genEvent(rng *rand.Rand) (*sls.LogGroup, *event.Event) {
	lg := &sls.LogGroup{}
	ev := &event.Event{Time: time.Unix(1750000000, 0)}
	if rng.IntN(4) != 0 {
		s := pick(rng, []string{"", "a", "b", "ab", "A"})
		lg.Topic, ev.Topic = &s, s
	}
	if rng.IntN(2) == 0 {
		s := pick(rng, []string{"", "a", "10.0.0.1"})
		lg.Source, ev.Source = &s, s
	}
	if rng.IntN(2) == 0 {
		k, v := "k", pick(rng, genValues[:9])
		lg.LogTags = []*sls.LogTag{{Key: &k, Value: &v}}
		ev.Tags = []event.Tag{{Key: k, Value: v}}
	}
	var kv []string
	for _, k := range []string{"f", "g", "event"} {
		if rng.IntN(4) == 0 {
			continue
		}
		v := pick(rng, genValues)
		kv = append(kv, k, v)
		ev.Fields = append(ev.Fields, event.Field{Key: k, Value: event.String(v)})
	}
	lg.Logs = []*sls.Log{slsemu.NewLog(ev.Time, kv...)}
	return lg, ev
}

func describe(specs []Spec) string {
	var b strings.Builder
	for _, s := range specs {
		fmt.Fprintf(&b, "\n  %s on_error=%d", s.Name, s.OnError)
		if s.Filter != nil {
			fmt.Fprintf(&b, " filter=%s", s.Filter.Code)
		}
		if len(s.DecodeJSON)+len(s.Set)+len(s.Delete) > 0 {
			fmt.Fprintf(&b, " decode=%v set=%v delete=%v", s.DecodeJSON, s.Set, s.Delete)
		}
	}
	return b.String()
}

func describeGroup(lg *sls.LogGroup) string {
	var b strings.Builder
	if lg.Topic != nil {
		fmt.Fprintf(&b, "topic=%q ", *lg.Topic)
	}
	if lg.Source != nil {
		fmt.Fprintf(&b, "source=%q ", *lg.Source)
	}
	for _, tg := range lg.LogTags {
		fmt.Fprintf(&b, "tag %s=%q ", tg.GetKey(), tg.GetValue())
	}
	for _, c := range lg.Logs[0].Contents {
		fmt.Fprintf(&b, "%s=%q ", c.GetKey(), c.GetValue())
	}
	return b.String()
}
