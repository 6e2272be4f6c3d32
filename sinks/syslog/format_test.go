package syslog

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/forwarder/forwarder/event"
)

// mustFormatter builds a formatter from a config, failing on invalid ones.
func mustFormatter(t testing.TB, c *Config) *formatter {
	t.Helper()
	if c.Address == "" {
		c.Address = "127.0.0.1:514"
	}
	st, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	return newFormatter(c, st)
}

// unframe checks the framing of one formatted event and returns the bare
// message.
func unframe(t testing.TB, f *formatter, frame []byte) []byte {
	t.Helper()
	switch {
	case f.octetCounting:
		sp := bytes.IndexByte(frame, ' ')
		n, err := strconv.Atoi(string(frame[:max(sp, 0)]))
		if sp <= 0 || err != nil || frame[0] == '0' {
			t.Fatalf("no MSG-LEN: %q", frame)
		}
		if n != len(frame)-sp-1 {
			t.Fatalf("MSG-LEN %d, message has %d bytes", n, len(frame)-sp-1)
		}
		return frame[sp+1:]
	case f.nonTransparent:
		if i := bytes.IndexAny(frame, "\r\n"); i != len(frame)-1 || frame[i] != '\n' {
			t.Fatalf("non-transparent frame has a line break at %d of %d: %q", i, len(frame), frame)
		}
		return frame[:len(frame)-1]
	}
	return frame
}

// parse runs go-syslog's strict parser for the formatter's format.
func parse(t testing.TB, f *formatter, msg []byte) gosyslog.Message {
	t.Helper()
	var p gosyslog.Machine
	if f.rfc3164 {
		p = rfc3164.NewParser(rfc3164.WithYear(rfc3164.Year{YYYY: 2026}), rfc3164.WithEmbeddedNewlines())
	} else {
		p = rfc5424.NewParser()
	}
	m, err := p.Parse(msg)
	if err == nil && (m == nil || !m.Valid()) {
		err = errors.New("no valid message")
	}
	if err != nil {
		t.Fatalf("strict parser refuses %q: %v", msg, err)
	}
	return m
}

func body(m gosyslog.Message) string {
	var b *gosyslog.Base
	switch x := m.(type) {
	case *rfc5424.SyslogMessage:
		b = &x.Base
	case *rfc3164.SyslogMessage:
		b = &x.Base
	}
	if b.Message == nil {
		return ""
	}
	return *b.Message
}

// valueJSON is the text the encoders write for a value.
func valueJSON(v event.Value) string {
	if v.Kind() == event.KindString {
		return v.Str()
	}
	return string(event.AppendValue(nil, v))
}

// wantPairs lists the pairs kv, cef and leef bodies hold, in order, with
// keyFn and valFn applied. ext selects the CEF/LEEF envelope keys.
func wantPairs(e *event.Event, fieldsOnly, ext bool, keyFn, valFn func(string) string) []kvPair {
	var out []kvPair
	add := func(k, v string) { out = append(out, kvPair{keyFn(k), valFn(v)}) }
	if !fieldsOnly {
		topic, source := event.KeyTopic, event.KeySource
		if ext {
			topic, source = "slsTopic", "slsSource"
		}
		if e.Topic != "" {
			add(topic, e.Topic)
		}
		if e.Source != "" {
			add(source, e.Source)
		}
		for _, tg := range e.Tags {
			if ext {
				add(camelTag(tg.Key), tg.Value)
			} else {
				add(event.KeyTag+tg.Key, tg.Value)
			}
		}
	}
	for _, fl := range e.Fields {
		add(fl.Key, valueJSON(fl.Value))
	}
	return out
}

func same(s string) string { return s }

// camelTag restates the CEF/LEEF tag key rule: "slsTag" and each run of
// ASCII letters and digits, first letter upper-cased.
func camelTag(name string) string {
	runs := strings.FieldsFunc(name, func(r rune) bool {
		return !(r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'))
	})
	k := "slsTag"
	for _, r := range runs {
		k += strings.ToUpper(r[:1]) + r[1:]
	}
	return k
}

// cefKey and leefValue restate the documented rules for the oracle.
func cefKey(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-", r)) {
			return r
		}
		return '_'
	}, s)
}

func leefValue(delim byte) func(string) string {
	return func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == '\t' || r == rune(delim) {
				return ' '
			}
			return r
		}, s)
	}
}

// checkBody decodes a body with the oracle decoders and compares.
func checkBody(t *testing.T, c *Config, f *formatter, e *event.Event, got string, nt bool) {
	t.Helper()
	var diff string
	switch c.Encoding {
	case "json":
		want := flatJSON(t, e)
		if c.FieldsOnly {
			for _, k := range []string{event.KeyTime, event.KeyTopic, event.KeySource} {
				delete(want, k)
			}
			for _, tg := range e.Tags {
				delete(want, event.KeyTag+tg.Key)
			}
		}
		diff = cmp.Diff(want, decodeJSON(t, got))
	case "kv":
		pairs, err := decodeKV(got, f.kvPair, f.kvSep)
		if err != nil {
			t.Fatalf("kv body %q: %v", got, err)
		}
		want := wantPairs(e, c.FieldsOnly, false, same, same)
		if !c.FieldsOnly {
			want = append([]kvPair{{event.KeyTime, e.Time.Format(time.RFC3339Nano)}}, want...)
		}
		diff = cmp.Diff(want, pairs)
	case "cef":
		hdr, ext, err := decodeCEF(got)
		if err != nil {
			t.Fatal(err)
		}
		want := wantPairs(e, c.FieldsOnly, true, cefKey, same)
		want = append([]kvPair{{"rt", strconv.FormatInt(e.Time.UnixMilli(), 10)}}, want...)
		diff = cmp.Diff(want, ext)
		if hdr[0] != "0" || hdr[1] != f.cef.Vendor || hdr[2] != f.cef.Product {
			diff += "header: " + strings.Join(hdr, "|")
		}
	case "leef":
		hdr, attrs, err := decodeLEEF(got)
		if err != nil {
			t.Fatal(err)
		}
		want := wantPairs(e, c.FieldsOnly, true, cefKey, leefValue(f.leefDelim))
		want = append([]kvPair{{"devTime", e.Time.Format(leefTimeLayout)}, {"devTimeFormat", leefTimeFormat}}, want...)
		diff = cmp.Diff(want, attrs)
		if hdr[0] != f.leef.Vendor {
			diff += "header: " + strings.Join(hdr, "|")
		}
	}
	if diff != "" {
		t.Errorf("%s body (-want +got):\n%s\nbody: %q", c.Encoding, diff, got)
	}
}

// TestFormatStrictParse formats tricky events in every format, framing and
// encoding, parses each with go-syslog's strict parsers and decodes the body.
func TestFormatStrictParse(t *testing.T) {
	t.Parallel()
	type variant struct{ format, protocol, framing, encoding string }
	var vs []variant
	for _, format := range []string{"rfc5424", "rfc3164"} {
		for _, fr := range [][2]string{{"tcp", "octet_counting"}, {"tcp", "non_transparent"}, {"udp", ""}} {
			for _, enc := range []string{"json", "kv", "cef", "leef"} {
				vs = append(vs, variant{format, fr[0], fr[1], enc})
			}
		}
	}
	for _, v := range vs {
		t.Run(strings.Join([]string{v.format, v.protocol, v.framing, v.encoding}, "/"), func(t *testing.T) {
			t.Parallel()
			c := NewConfig()
			c.SDID = testSDID
			c.Format, c.Protocol, c.Framing, c.Encoding = v.format, v.protocol, v.framing, v.encoding
			c.Hostname, c.ProcID, c.UDPMaxSize = "host.example", "77", "65507"
			c.KV = &KVConfig{PairSeparator: "||", KVSeparator: "="}
			c.LEEF = &LEEFConfig{Delimiter: "^"}
			f := mustFormatter(t, c)
			nt := v.framing == "non_transparent"
			var sc scratch
			for i := 0; i < 12; i++ {
				e := testEvent(i)
				msg := unframe(t, f, f.appendFrame(nil, e, &sc))
				m := parse(t, f, msg)
				msgid, _ := e.MetaValue(event.MetaMsgID)
				switch x := m.(type) {
				case *rfc5424.SyslogMessage:
					got := []string{*x.Hostname, *x.Appname, *x.ProcID, *x.MsgID, x.Timestamp.Format(time.RFC3339Nano)}
					want := []string{"host.example", "forwarder", "77", msgid, e.Time.Truncate(time.Microsecond).Format(time.RFC3339Nano)}
					if d := cmp.Diff(want, got); d != "" {
						t.Errorf("header (-want +got):\n%s", d)
					}
					if d := cmp.Diff(wantSD(e, nt), (*x.StructuredData)[testSDID]); d != "" {
						t.Errorf("structured data (-want +got):\n%s", d)
					}
					if *x.Priority != 14 {
						t.Errorf("PRI %d, want 14", *x.Priority)
					}
				case *rfc3164.SyslogMessage:
					got := []string{*x.Hostname, *x.Appname, *x.ProcID, x.Timestamp.Format(time.Stamp)}
					want := []string{"host.example", "forwarder", "77", e.Time.Format(time.Stamp)}
					if d := cmp.Diff(want, got); d != "" {
						t.Errorf("header (-want +got):\n%s", d)
					}
				}
				checkBody(t, c, f, e, body(m), nt)
			}
		})
	}
}

func TestHeaderFields(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("abcdefghij", 30)
	tests := []struct {
		name                       string
		host, app, procid, msgid   string
		meta                       []event.Tag
		wantHost, wantApp, wantPID string
		wantMsgID                  string
	}{
		{name: "nil values", app: "", wantHost: "-", wantApp: "-", wantPID: "-", wantMsgID: "-", host: "\x00"[:0]},
		{name: "limits", host: long, app: long, procid: long, msgid: long,
			wantHost: long[:255], wantApp: long[:48], wantPID: long[:128], wantMsgID: long[:32]},
		{name: "not PRINTUSASCII", host: "höst name", app: "app\tname", procid: "p\nid", msgid: "日本",
			wantHost: "h_st_name", wantApp: "app_name", wantPID: "p_id", wantMsgID: "__"},
		{name: "meta overrides", host: "static", app: "static", msgid: "static", procid: "9",
			meta:     []event.Tag{{Key: "host", Value: "meta-host"}, {Key: "app_name", Value: "meta app"}, {Key: "msgid", Value: "M1"}},
			wantHost: "meta-host", wantApp: "meta_app", wantPID: "9", wantMsgID: "M1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewConfig()
			c.Hostname, c.AppName, c.ProcID, c.MsgID = tt.host, tt.app, tt.procid, tt.msgid
			f := mustFormatter(t, c)
			f.hostname = tt.host // bypass the os.Hostname default for the nil case
			e := testEvent(1)
			e.Meta = tt.meta
			m := parse(t, f, unframe(t, f, f.appendFrame(nil, e, &scratch{}))).(*rfc5424.SyslogMessage)
			str := func(p *string) string {
				if p == nil {
					return "-"
				}
				return *p
			}
			got := []string{str(m.Hostname), str(m.Appname), str(m.ProcID), str(m.MsgID)}
			want := []string{tt.wantHost, tt.wantApp, tt.wantPID, tt.wantMsgID}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestPriority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		facility, severity string
		meta               []event.Tag
		want               uint8
	}{
		{"user", "info", nil, 14},
		{"kern", "emerg", nil, 0},
		{"local7", "debug", nil, 191},
		{"16", "3", nil, 131},
		{"LOCAL0", "Warning", nil, 132},
		{"user", "info", []event.Tag{{Key: "severity", Value: "err"}, {Key: "facility", Value: "authpriv"}}, 83},
		{"user", "info", []event.Tag{{Key: "severity", Value: "2"}, {Key: "facility", Value: "23"}}, 186},
		{"user", "info", []event.Tag{{Key: "severity", Value: "bogus"}, {Key: "facility", Value: "99"}}, 14},
	}
	for _, tt := range tests {
		c := NewConfig()
		c.Facility, c.Severity = tt.facility, tt.severity
		f := mustFormatter(t, c)
		e := testEvent(2)
		e.Meta = tt.meta
		m := parse(t, f, unframe(t, f, f.appendFrame(nil, e, &scratch{})))
		if p := *m.(*rfc5424.SyslogMessage).Priority; p != tt.want {
			t.Errorf("facility %s severity %s meta %v: PRI %d, want %d", tt.facility, tt.severity, tt.meta, p, tt.want)
		}
	}
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 2, 5, 23, 4, 5, 123456789, time.UTC)
	tests := []struct {
		zone string
		in   time.Time
		want string
	}{
		{"UTC", ts, "2026-02-05T23:04:05.123456Z"},
		{"+08:00", ts, "2026-02-06T07:04:05.123456+08:00"},
		{"-03:30", ts, "2026-02-05T19:34:05.123456-03:30"},
		{"UTC", time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600)), "2025-12-31T23:00:00.000000Z"},
		{"UTC", time.Time{}, "-"},
		{"UTC", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "-"},
	}
	for _, tt := range tests {
		c := NewConfig()
		c.Timezone = tt.zone
		f := mustFormatter(t, c)
		got := string(f.appendTimestamp(nil, tt.in))
		if got != tt.want {
			t.Errorf("%s in %s: %q, want %q", tt.in, tt.zone, got, tt.want)
		}
		if got != "-" {
			if p, err := time.Parse(time.RFC3339Nano, got); err != nil || !p.Equal(tt.in.Truncate(time.Microsecond)) {
				t.Errorf("%q does not read back as %s: %v", got, tt.in, err)
			}
		}
	}
	// RFC 3164: "Mmm dd hh:mm:ss" with a space-padded day.
	c := NewConfig()
	c.Format, c.Hostname = "rfc3164", "h"
	f := mustFormatter(t, c)
	e := testEvent(0)
	e.Time = ts
	if got := string(f.appendFrame(nil, e, &scratch{})); !strings.Contains(got, "<14>Feb  5 23:04:05 h forwarder: ") {
		t.Errorf("rfc3164 header: %q", got)
	}
}

// TestNewlineInjection: a value that tries to start a second message must
// stay inside the first, with either framing.
func TestNewlineInjection(t *testing.T) {
	t.Parallel()
	inject := "x\n<13>1 2026-01-01T00:00:00Z evil evil - - - injected\r\n"
	e := &event.Event{
		Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Topic: inject, Source: inject,
		Tags: []event.Tag{{Key: "k\nk", Value: inject}},
		Fields: []event.Field{
			{Key: inject, Value: event.String(inject)},
			{Key: "pretty", Value: event.RawJSON("{\n  \"a\": \"b\"\r\n}")},
		},
		Meta: []event.Tag{{Key: "host", Value: inject}, {Key: "app_name", Value: inject}, {Key: "msgid", Value: inject}},
	}
	for _, enc := range []string{"json", "kv", "cef", "leef"} {
		for _, framing := range []string{"non_transparent", "octet_counting"} {
			c := NewConfig()
			c.Encoding, c.Framing, c.SDID = enc, framing, testSDID
			f := mustFormatter(t, c)
			frame := f.appendFrame(nil, e, &scratch{})
			msg := unframe(t, f, frame) // non_transparent: exactly one LF, at the end
			m := parse(t, f, msg).(*rfc5424.SyslogMessage)
			sd := (*m.StructuredData)[testSDID]
			switch framing {
			case "octet_counting":
				if sd["topic"] != inject {
					t.Errorf("%s/%s: octet counting must carry the line breaks as is: %q", enc, framing, sd["topic"])
				}
			default:
				if want := strings.NewReplacer("\n", "#012", "\r", "#015").Replace(inject); sd["topic"] != want {
					t.Errorf("%s/%s: topic %q, want %q", enc, framing, sd["topic"], want)
				}
			}
			if enc == "json" {
				b := decodeJSON(t, body(m))
				if b[inject] != inject || b["pretty"].(map[string]any)["a"] != "b" {
					t.Errorf("%s/%s: body lost the value: %v", enc, framing, b)
				}
			}
		}
	}
}

func TestKVSeparators(t *testing.T) {
	t.Parallel()
	for _, seps := range [][2]string{{" ", "="}, {"||", "="}, {"\t", ":"}, {",", "=>"}} {
		c := NewConfig()
		c.Encoding, c.FieldsOnly = "kv", true
		c.KV = &KVConfig{PairSeparator: seps[0], KVSeparator: seps[1]}
		f := mustFormatter(t, c)
		e := &event.Event{Fields: []event.Field{
			{Key: "a||b", Value: event.String("x=y||z \\ end|")},
			{Key: "tab\tkey", Value: event.String("v,=>:\t\n")},
			{Key: "empty", Value: event.String("")},
		}}
		got := string(f.appendBody(nil, e, &scratch{}))
		pairs, err := decodeKV(got, seps[0], seps[1])
		if err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		want := []kvPair{{"a||b", "x=y||z \\ end|"}, {"tab\tkey", "v,=>:\t\n"}, {"empty", ""}}
		if d := cmp.Diff(want, pairs); d != "" {
			t.Errorf("separators %q: (-want +got):\n%s\nbody %q", seps, d, got)
		}
	}
}

func TestCEFHeader(t *testing.T) {
	t.Parallel()
	c := NewConfig()
	c.Encoding = "cef"
	c.CEF = &CEFConfig{Vendor: `Ali|baba\`, Product: "SLS", Version: "2",
		SignatureID: "default-sig", SignatureIDField: "eventName",
		Name: "n", NameField: "missing", Severity: "Low", SeverityField: "sev"}
	f := mustFormatter(t, c)
	tests := []struct {
		fields []event.Field
		want   []string
	}{
		{[]event.Field{{Key: "eventName", Value: event.String("Create|User\nX")}, {Key: "sev", Value: event.String("9")}},
			[]string{"0", `Ali|baba\`, "SLS", "2", "Create|User X", "n", "9"}},
		{[]event.Field{{Key: "sev", Value: event.String("11")}},
			[]string{"0", `Ali|baba\`, "SLS", "2", "default-sig", "n", "Low"}},
		{[]event.Field{{Key: "eventName", Value: event.String("")}, {Key: "sev", Value: event.String("Very-High")}},
			[]string{"0", `Ali|baba\`, "SLS", "2", "default-sig", "n", "Very-High"}},
	}
	for _, tt := range tests {
		e := &event.Event{Time: time.Unix(1700000000, 5e8), Fields: tt.fields}
		got := string(f.appendBody(nil, e, &scratch{}))
		hdr, ext, err := decodeCEF(got)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, hdr); d != "" {
			t.Errorf("header (-want +got):\n%s\nbody %q", d, got)
		}
		if len(ext) == 0 || ext[0] != (kvPair{"rt", "1700000000500"}) {
			t.Errorf("extension %v does not start with rt", ext)
		}
	}
}

func TestLEEFDelimiters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, delim string
		wantHeader     string
		wantDelim      byte
	}{
		{"1.0", "", "LEEF:1.0|V|P|1|E|", '\t'},
		{"2.0", "", "LEEF:2.0|V|P|1|E|x09|", '\t'},
		{"2.0", "^", "LEEF:2.0|V|P|1|E|^|", '^'},
		{"2.0", "x5E", "LEEF:2.0|V|P|1|E|^|", '^'},
		{"2.0", "0x7C", "", 0}, // '|' is refused
		{"2.0", "0x09", "LEEF:2.0|V|P|1|E|x09|", '\t'},
		{"1.0", "^", "", 0}, // 1.0 is TAB only
	}
	for _, tt := range tests {
		c := NewConfig()
		c.Address = "127.0.0.1:514"
		c.Encoding, c.FieldsOnly = "leef", true
		c.LEEF = &LEEFConfig{FormatVersion: tt.version, Vendor: "V", Product: "P", ProductVersion: "1", EventID: "E", Delimiter: tt.delim}
		err := c.Validate()
		if tt.wantDelim == 0 {
			if err == nil {
				t.Errorf("version %s delimiter %q: no error", tt.version, tt.delim)
			}
			continue
		}
		if err != nil {
			t.Fatalf("version %s delimiter %q: %v", tt.version, tt.delim, err)
		}
		f := mustFormatter(t, c)
		e := &event.Event{Fields: []event.Field{
			{Key: "a b", Value: event.String("x^y\tz|w=v\nq")}, {Key: "k", Value: event.String("v")}}}
		got := string(f.appendBody(nil, e, &scratch{}))
		if !strings.HasPrefix(got, tt.wantHeader) {
			t.Errorf("%q does not start with %q", got, tt.wantHeader)
		}
		_, attrs, err := decodeLEEF(got)
		if err != nil {
			t.Fatal(err)
		}
		want := []kvPair{{"a_b", leefValue(tt.wantDelim)("x^y\tz|w=v\nq")}, {"k", "v"}}
		if d := cmp.Diff(want, attrs); d != "" {
			t.Errorf("version %s delimiter %q (-want +got):\n%s", tt.version, tt.delim, d)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	bad := "a\xffb\xc3"
	for _, enc := range []string{"json", "kv", "cef", "leef"} {
		c := NewConfig()
		c.Encoding = enc
		f := mustFormatter(t, c)
		e := &event.Event{Time: time.Unix(1, 0), Topic: bad, Tags: []event.Tag{{Key: bad, Value: bad}},
			Fields: []event.Field{{Key: bad, Value: event.String(bad)}}}
		msg := unframe(t, f, f.appendFrame(nil, e, &scratch{}))
		if !utf8Valid(msg) {
			t.Errorf("%s: invalid UTF-8 in %q", enc, msg)
		}
		parse(t, f, msg)
	}
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "\x00") == string(b) }

// TestFormatAllocs: formatting does not allocate per event.
func TestFormatAllocs(t *testing.T) {
	for _, enc := range []string{"json", "kv", "cef", "leef"} {
		c := NewConfig()
		c.Encoding = enc
		f := mustFormatter(t, c)
		e := testEvent(3)
		e.Fields = e.Fields[:3] // strings only: a KindAny map is JSON-encoded by the event package
		buf := make([]byte, 0, 64<<10)
		sc := &scratch{b: make([]byte, 0, 4096)}
		n := testing.AllocsPerRun(100, func() { buf = f.appendFrame(buf[:0], e, sc) })
		if n != 0 {
			t.Errorf("%s: %.1f allocations per event", enc, n)
		}
	}
}
