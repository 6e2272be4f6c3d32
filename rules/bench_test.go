package rules

import (
	"testing"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sources/demo"
)

// BenchmarkRulePath measures the rule path of the issue: filter +
// decode_json + two sets on ActionTrail events of about 1 KB. Bytes are raw
// log bytes (keys + values). Run with -cpu 1.
func BenchmarkRulePath(b *testing.B) {
	r := mustCompile(b, Spec{
		Name:       "actiontrail",
		Filter:     lit("topic == 'actiontrail_audit_event'"),
		DecodeJSON: []string{"event"},
		Set: []Assign{
			{Key: "user", Value: *lit("event.userIdentity.userName")},
			{Key: "action", Value: *lit("event.eventName")},
		},
	})
	g := demo.NewGenerator(1, time.Unix(1795939202, 0))
	var evs []*event.Event
	size := 0
	for len(evs) < 1000 {
		ev := g.Next()
		if ev.Topic != demo.TopicActionTrail || ev.RawSize() > 4096 {
			continue
		}
		evs = append(evs, ev)
		size += ev.RawSize()
	}
	b.SetBytes(int64(size / len(evs)))
	b.ReportAllocs()
	run := NewEvaluator()
	rs := []*Rule{r}
	work := make([]event.Event, len(evs))
	i := 0
	for b.Loop() {
		k := i % len(evs)
		work[k] = *evs[k]
		work[k].Fields = append(work[k].Fields[:0:0], evs[k].Fields...)
		if out, err := run.Run(rs, &work[k]); out != Pass {
			b.Fatal(out, err)
		}
		i++
	}
	b.ReportMetric(float64(size/len(evs)), "bytes/event")
}
