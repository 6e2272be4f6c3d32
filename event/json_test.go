package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAppendQuoteTable(t *testing.T) {
	cases := map[string]string{
		"plain":           `"plain"`,
		"a\"b\\c":         `"a\"b\\c"`,
		"line\nbreak\r\t": `"line\nbreak\r\t"`,
		"\x00\x1f":        `"\u0000\u001f"`,
		"<&>":             `"\u003c\u0026\u003e"`,
		"张伟 müller":       `"张伟 müller"`,
		"bad\xffutf8":     `"bad\ufffdutf8"`,
		"js\u2028\u2029":  `"js\u2028\u2029"`,
	}
	for in, want := range cases {
		if got := string(AppendQuote(nil, in)); got != want {
			t.Errorf("AppendQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzAppendJSON: whatever the field names and values, the flat JSON form
// is valid JSON and round-trips every (valid UTF-8) string.
func FuzzAppendJSON(f *testing.F) {
	f.Add("event", `{"a":1}`, "topic", "x\ny", true)
	f.Add("a\"b", "\xff\xfe", "", "\u2028", false)
	f.Add("__tag__:x", `[1,2`, "t", "<script>", true)
	f.Fuzz(func(t *testing.T, key, val, topic, tag string, asJSON bool) {
		ev := &Event{Time: time.Unix(1795939202, 123456789), Topic: topic, Source: tag,
			Tags: []Tag{{Key: tag, Value: val}}, Meta: []Tag{{Key: "index", Value: val}}}
		v := String(val)
		if asJSON && json.Valid([]byte(val)) {
			v = RawJSON(val)
		}
		ev.Fields = []Field{{Key: key, Value: v}, {Key: "n", Value: Any(map[string]any{"k": []any{1.5, nil, true, val}})}}
		out := AppendJSON(nil, ev, true)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(topic) && !strings.ContainsRune(topic, utf8.RuneError) && m["__topic__"] != topic {
			t.Errorf("topic %q came back as %q", topic, m["__topic__"])
		}
		if !json.Valid(AppendFields(nil, ev)) {
			t.Fatal("AppendFields: invalid JSON")
		}
	})
}

func TestCloneIsIndependent(t *testing.T) {
	ev := &Event{Fields: []Field{{Key: "a", Value: String("1")}}, Tags: []Tag{{Key: "t", Value: "v"}}}
	c := ev.Clone()
	c.Set("a", String("2"))
	c.Set("b", String("3"))
	c.SetMeta("index", "x")
	c.Tags[0].Value = "w"
	if v, _ := ev.Get("a"); v.Str() != "1" || len(ev.Fields) != 1 || len(ev.Meta) != 0 || ev.Tags[0].Value != "v" {
		t.Fatalf("original changed: %+v", ev)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	ev := &Event{Time: time.Now(), Topic: "actiontrail_audit_event", Source: "100.104.12.8",
		Fields: []Field{{Key: "event", Value: RawJSON(`{"eventName":"CreateUser","userIdentity":{"userName":"alice"}}`)},
			{Key: "user", Value: String("alice \"the admin\"")}, {Key: "msg", Value: String(strings.Repeat("audit log line ", 50))}}}
	b.SetBytes(int64(ev.RawSize()))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = AppendJSON(buf[:0], ev, true)
	}
}
