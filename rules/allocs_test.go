package rules

import (
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sources/demo"
)

// TestRulePathAllocs is the CI gate on the rule path of BenchmarkRulePath
// (filter, decode_json, two sets on ~1 KB ActionTrail events): at most
// maxRuleAllocs allocations per event, the figure measured when the gate was
// set (one of them is the test's own copy of the fields). A change that adds
// allocations per event fails here.
func TestRulePathAllocs(t *testing.T) {
	const maxRuleAllocs = 9
	r := mustCompile(t, Spec{
		Name:       "actiontrail",
		Filter:     lit("topic == 'actiontrail_audit_event'"),
		DecodeJSON: []string{"event"},
		Set: []Assign{
			{Key: "user", Value: *lit("event.userIdentity.userName")},
			{Key: "action", Value: *lit("event.eventName")},
		},
	})
	g := demo.NewGenerator(1, time.Unix(1795939202, 0))
	var ev *event.Event
	for ev == nil {
		if e := g.Next(); e.Topic == demo.TopicActionTrail && e.RawSize() < 4096 {
			ev = e
		}
	}
	run, rs := NewEvaluator(), []*Rule{r}
	var work event.Event
	n := testing.AllocsPerRun(200, func() {
		work = *ev
		work.Fields = append(work.Fields[:0:0], ev.Fields...)
		if out, err := run.Run(rs, &work); out != Pass {
			t.Fatal(out, err)
		}
	})
	if n > maxRuleAllocs {
		t.Errorf("rule path: %.1f allocations per event, want at most %d", n, maxRuleAllocs)
	}
	if v, _ := work.Get("action"); v.Str() == "" {
		t.Error("the rule did not run: no action field")
	}
}
