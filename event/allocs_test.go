package event

import (
	"testing"
	"time"
)

// TestAppendJSONAllocs is the CI gate on the NDJSON path (file sink, HEC
// raw, syslog json): the flat JSON form of an event with tags, meta, a JSON
// field and a computed value allocates nothing once the buffer has grown.
func TestAppendJSONAllocs(t *testing.T) {
	ev := &Event{Time: time.Unix(1795939202, 123456789), Topic: "actiontrail_audit_event", Source: "100.104.12.8",
		Tags: []Tag{{Key: "__receive_time__", Value: "1795939202"}, {Key: "__pack_id__", Value: "5F0B4D-1A"}},
		Meta: []Tag{{Key: MetaIndex, Value: "audit"}},
		Fields: []Field{{Key: "event", Value: String(`{"eventName":"CreateUser","userIdentity":{"userName":"alice"}}`)},
			{Key: "decoded", Value: RawJSON(`{"a":[1,2]}`)}, {Key: "user", Value: String("alice \"the admin\" <a&b>")},
			{Key: "n", Value: Any(int64(42))}, {Key: "ok", Value: Any(true)}}}
	buf := AppendJSON(nil, ev, true)
	if n := testing.AllocsPerRun(100, func() { buf = AppendJSON(buf[:0], ev, true) }); n != 0 {
		t.Errorf("AppendJSON: %.1f allocations per event, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { buf = AppendFields(buf[:0], ev) }); n != 0 {
		t.Errorf("AppendFields: %.1f allocations per event, want 0", n)
	}
}
