package splunkhec

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/forwarder/forwarder/event"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

// TestEnvelopeLine pins the exact wire form of one event.
func TestEnvelopeLine(t *testing.T) {
	enc := newEncoder(&Config{Index: "alicloud", Sourcetype: "alicloud:sls", Fields: []string{"user", "tags", "n", "obj", "quoted", "__source__"}}, false)
	e := &event.Event{
		Time:   time.Unix(1795939202, 123456789),
		Topic:  "actiontrail_audit_event",
		Source: "100.104.12.8",
		Fields: []event.Field{
			{Key: "event", Value: event.RawJSON(`{"eventName":"CreateUser","userIdentity":{"userName":"alice"}}`)},
			{Key: "user", Value: event.String("al\"ice")},
			{Key: "tags", Value: event.Any([]any{"a", "b"})},
			{Key: "n", Value: event.Any(int64(42))},
			{Key: "obj", Value: event.RawJSON(`{"k":1}`)},
			{Key: "quoted", Value: event.RawJSON(` "already a string" `)},
		},
		Meta: []event.Tag{{Key: event.MetaSourcetype, Value: "alicloud:actiontrail"}},
	}
	got := string(enc.appendEvent(nil, e))
	want := `{"time":1795939202.123456,"sourcetype":"alicloud:actiontrail","index":"alicloud",` +
		`"fields":{"user":"al\"ice","tags":["a","b"],"n":"42","obj":"{\"k\":1}","quoted":"already a string","__source__":"100.104.12.8"},` +
		`"event":{"event":{"eventName":"CreateUser","userIdentity":{"userName":"alice"}},"user":"al\"ice","tags":["a","b"],"n":42,"obj":{"k":1},"quoted": "already a string" }}` + "\n"
	if got != want {
		t.Fatalf("envelope\n got %s\nwant %s", got, want)
	}
}

func TestAppendEpoch(t *testing.T) {
	for _, tc := range []struct {
		ns   int
		want string
	}{
		{0, "1795939202"},
		{500_000_000, "1795939202.500"},
		{1_000_000, "1795939202.001"},
		{1_000, "1795939202.000001"},
		{999_999_999, "1795939202.999999"},
		{1, "1795939202.000000"},
	} {
		if got := string(appendEpoch(nil, time.Unix(1795939202, int64(tc.ns)))); got != tc.want {
			t.Errorf("%d ns: %s, want %s", tc.ns, got, tc.want)
		}
	}
	enc := newEncoder(&Config{}, false)
	for _, tm := range []time.Time{{}, time.Unix(-5, 0)} {
		if out := enc.appendEvent(nil, &event.Event{Time: tm}); bytes.Contains(out, []byte(`"time"`)) {
			t.Errorf("time %v was sent: %s", tm, out)
		}
	}
}

func TestRawLine(t *testing.T) {
	enc := newEncoder(&Config{}, true)
	e := &event.Event{Time: time.Unix(1795939202, 0), Topic: "t", Fields: []event.Field{
		{Key: "event", Value: event.RawJSON("{\n  \"a\": \"x\\ny\",\r\n  \"b\": 1\n}")},
	}}
	out := enc.appendEvent(nil, e)
	if bytes.Count(out, []byte("\n")) != 1 || out[len(out)-1] != '\n' || bytes.ContainsRune(out, '\r') {
		t.Fatalf("raw event is not one line: %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]any{"a": "x\ny", "b": 1.0}, m["event"]); d != "" {
		t.Fatalf("event (-want +got):\n%s", d)
	}
}

func TestAppendGzip(t *testing.T) {
	src := []byte(strings.Repeat(auditJSON(1), 20))
	for lvl := 1; lvl <= 9; lvl++ {
		for range 2 { // the second round uses a pooled writer
			out := appendGzip([]byte("prefix"), src, lvl)
			if !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatal("appendGzip overwrote dst")
			}
			zr, err := gzip.NewReader(bytes.NewReader(out[len("prefix"):]))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, src) {
				t.Fatalf("level %d: round trip failed: %v", lvl, err)
			}
		}
	}
}

// validUTF8 is what event.AppendQuote makes of s: each invalid byte becomes
// U+FFFD.
func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FuzzEnvelope checks that the envelope of any event is valid JSON on one
// line, and that decoding it gives back the event's fields, time and
// metadata, with indexed fields flat. The seed corpus is in
// testdata/fuzz/FuzzEnvelope; plain `go test` runs it.
func FuzzEnvelope(f *testing.F) {
	f.Add("actiontrail_audit_event", "100.104.12.8", "user", "alice", "event", `{"eventName":"CreateUser","n":[1,2.5,null,true]}`, int64(1795939202), int64(123000000), "alicloud", "", 42.5)
	f.Add("", "", "k", "", "k", `"dup"`, int64(0), int64(0), "", "h", math.Inf(1))
	f.Fuzz(func(t *testing.T, topic, source, k1, v1, k2, v2 string, sec, nsec int64, index, host string, num float64) {
		e := &event.Event{Time: time.Unix(sec, nsec), Topic: topic, Source: source}
		want := map[string]any{}
		add := func(k string, v event.Value, decoded any) {
			if _, dup := want[validUTF8(k)]; dup {
				return
			}
			e.Fields = append(e.Fields, event.Field{Key: k, Value: v})
			want[validUTF8(k)] = decoded
		}
		add(k1, event.String(v1), validUTF8(v1))
		var dv any
		if json.Valid([]byte(v2)) && json.Unmarshal([]byte(v2), &dv) == nil {
			add(k2, event.RawJSON(v2), dv)
		} else {
			add(k2, event.String(v2), validUTF8(v2))
		}
		var wantNum any = num
		if math.IsNaN(num) || math.IsInf(num, 0) {
			wantNum = nil
		}
		add("list", event.Any([]any{v1, num, true}), []any{validUTF8(v1), wantNum, true})
		if index != "" {
			e.SetMeta(event.MetaIndex, index)
		}
		enc := newEncoder(&Config{Host: host, Fields: []string{k1, k2, "list", "__topic__"}}, false)
		out := enc.appendEvent([]byte("prev"), e)[len("prev"):]
		if len(out) == 0 || out[len(out)-1] != '\n' {
			t.Fatalf("no trailing newline: %q", out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %q", out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var env map[string]any
		if err := dec.Decode(&env); err != nil {
			t.Fatal(err)
		}
		// Round trip of the event body, via an encoding/json oracle.
		var body map[string]any
		if err := json.Unmarshal(mustMarshal(t, env["event"]), &body); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, body); d != "" {
			t.Fatalf("event body (-want +got):\n%s\n%s", d, out)
		}
		// Time: seconds and the fraction truncated to µs.
		if tm := e.Time; tm.Unix() >= 0 {
			n, ok := env["time"].(json.Number)
			if !ok {
				t.Fatalf("time missing: %s", out)
			}
			ip, fp, _ := strings.Cut(string(n), ".")
			gotSec, err := strconv.ParseInt(ip, 10, 64)
			if err != nil || gotSec != tm.Unix() {
				t.Fatalf("time %s, want %d s", n, tm.Unix())
			}
			gotNs := 0
			if fp != "" {
				frac, _ := strconv.Atoi(fp)
				gotNs = frac * int(math.Pow10(9-len(fp)))
			}
			if wantNs := tm.Nanosecond() - tm.Nanosecond()%1000; gotNs != wantNs {
				t.Fatalf("time %s: %d ns, want %d", n, gotNs, wantNs)
			}
		} else if _, ok := env["time"]; ok {
			t.Fatalf("pre-1970 time sent: %s", out)
		}
		// host is the config's (or meta's), never the SLS __source__.
		checkMeta(t, env, "host", validUTF8(host))
		checkMeta(t, env, "index", validUTF8(index))
		// Indexed fields are flat.
		if fields, ok := env["fields"]; ok {
			m, ok := fields.(map[string]any)
			if !ok {
				t.Fatalf("fields is not an object: %s", out)
			}
			for k, v := range m {
				switch v := v.(type) {
				case string:
				case []any:
					for _, s := range v {
						if _, ok := s.(string); !ok {
							t.Fatalf("field %q has a non-string element: %s", k, out)
						}
					}
				default:
					t.Fatalf("field %q is not flat: %s", k, out)
				}
			}
		}
		// The raw form is one valid JSON line too.
		raw := newEncoder(&Config{}, true).appendEvent(nil, e)
		if bytes.Count(raw, []byte("\n")) != 1 || !json.Valid(raw) {
			t.Fatalf("raw form is not one JSON line: %q", raw)
		}
	})
}

func checkMeta(t *testing.T, env map[string]any, key, want string) {
	t.Helper()
	got, ok := env[key]
	if want == "" {
		if ok {
			t.Fatalf("%s sent although empty: %v", key, got)
		}
		return
	}
	if got != want {
		t.Fatalf("%s = %v, want %q", key, got, want)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
