package splunkhec

import (
	"testing"

	"github.com/forwarder/forwarder/event"
)

// TestEncodeAllocs is the CI gate on the HEC encode path: once the batch
// buffer has grown, encoding an event allocates nothing, on the event
// endpoint (with indexed fields and meta) and on the raw endpoint.
func TestEncodeAllocs(t *testing.T) {
	evs := auditEvents(0, 50)
	for _, e := range evs[:25] {
		v, _ := e.Get("event")
		e.Set("event", event.String(v.Str())) // undecoded: the escape-heavy case
		e.SetMeta(event.MetaIndex, "audit")
	}
	for _, raw := range []bool{false, true} {
		enc := newEncoder(&Config{Index: "alicloud", Sourcetype: "alicloud:actiontrail", Fields: []string{"user", "__topic__"}}, raw)
		var buf []byte
		for _, e := range evs {
			buf = enc.appendEvent(buf, e)
		}
		n := testing.AllocsPerRun(50, func() {
			buf = buf[:0]
			for _, e := range evs {
				buf = enc.appendEvent(buf, e)
			}
		})
		if n != 0 {
			t.Errorf("raw=%v: %.1f allocations per batch of %d events, want 0", raw, n, len(evs))
		}
	}
}
