package syslog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

// testEvent returns the i-th test event: a sequence number to find it by,
// and the text that breaks naive formatters: SD specials, backslashes,
// unicode, embedded CR/LF, the kv and CEF separators, invalid UTF-8 free.
func testEvent(i int) *event.Event {
	tricky := []string{
		`quote " bracket ] backslash \ end`,
		"line one\nline two\r\nline three",
		"ünïcødé 日本語 🚀 emoji",
		"pipes | and = equals || and \\| mixed",
		"tab\there",
		"",
	}
	s := tricky[i%len(tricky)]
	return &event.Event{
		Time:   time.Date(2026, 11, 24, 8, 15, 2, (i%1000)*1000_000+123_000, time.UTC),
		Topic:  "actiontrail_audit_event " + s,
		Source: "10.0.0." + strconv.Itoa(i%256),
		Tags: []event.Tag{
			{Key: "__receive_time__", Value: strconv.Itoa(1700000000 + i)},
			{Key: "path", Value: "/var/log/" + s},
		},
		Fields: []event.Field{
			{Key: "seq", Value: event.String(strconv.Itoa(i))},
			{Key: "eventName", Value: event.String("CreateUser")},
			{Key: "text", Value: event.String(s)},
			{Key: "event", Value: event.RawJSON(`{"userIdentity":{"userName":"alice"},"n":[1,2,3]}`)},
			{Key: "computed", Value: event.Any(map[string]any{"ok": true, "count": int64(i)})},
		},
		Meta: []event.Tag{{Key: event.MetaMsgID, Value: "ID" + strconv.Itoa(i%7)}},
	}
}

func testEvents(from, n int) []*event.Event {
	es := make([]*event.Event, n)
	for i := range es {
		es[i] = testEvent(from + i)
	}
	return es
}

// flatJSON is what the json body of e must decode to.
func flatJSON(t testing.TB, e *event.Event) map[string]any {
	t.Helper()
	m := map[string]any{
		event.KeyTime:   e.Time.UTC().Format(time.RFC3339Nano),
		event.KeyTopic:  e.Topic,
		event.KeySource: e.Source,
	}
	for _, tg := range e.Tags {
		m[event.KeyTag+tg.Key] = tg.Value
	}
	for _, f := range e.Fields {
		var v any
		switch f.Value.Kind() {
		case event.KindString:
			v = f.Value.Str()
		case event.KindJSON:
			if err := json.Unmarshal([]byte(f.Value.Str()), &v); err != nil {
				t.Fatal(err)
			}
		default:
			b, err := json.Marshal(f.Value.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
		}
		m[f.Key] = v
	}
	return m
}

func decodeJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%q", err, s)
	}
	return m
}

// sdParams parses structured data with go-syslog's strict parser (which
// undoes the escapes) and returns the params of id.
func sdParams(t testing.TB, sd, id string) map[string]string {
	t.Helper()
	if sd == "-" {
		return nil
	}
	msg, err := rfc5424.NewParser().Parse([]byte("<14>1 - - - - - " + sd))
	if err != nil {
		t.Fatalf("structured data %q does not parse: %v", sd, err)
	}
	m := msg.(*rfc5424.SyslogMessage)
	if m.StructuredData == nil {
		t.Fatalf("no structured data in %q", sd)
	}
	return (*m.StructuredData)[id]
}

// wantSD is the SD params e must produce; nt applies the non-transparent
// escaping of line breaks.
func wantSD(e *event.Event, nt bool) map[string]string {
	fix := func(s string) string {
		if nt {
			s = strings.NewReplacer("\n", "#012", "\r", "#015").Replace(s)
		}
		return s
	}
	m := map[string]string{}
	if e.Topic != "" {
		m["topic"] = fix(e.Topic)
	}
	if e.Source != "" {
		m["source"] = fix(e.Source)
	}
	for _, tg := range e.Tags {
		m[tg.Key] = fix(tg.Value)
	}
	return m
}

// testSDID is the SD-ID tests set: RFC 5424 wants NAME@PEN, and there is
// no default.
const testSDID = "sls@12345"

func testSettings() sinks.Settings { return sinks.Settings{Name: "syslog.test"} }

// newSink builds a sink or fails the test.
func newSink(t testing.TB, c *Config) *Sink {
	t.Helper()
	s, err := New(c, testSettings())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// seqOf returns the "seq" field of a json body.
func seqOf(body map[string]any) (int, error) {
	s, ok := body["seq"].(string)
	if !ok {
		return 0, fmt.Errorf("no seq in %v", body)
	}
	return strconv.Atoi(s)
}
