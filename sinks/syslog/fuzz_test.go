package syslog

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks/syslog/leeftest"
)

// fixUTF8 replaces each invalid byte with U+FFFD, as the encoders do.
func fixUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for an invalid byte
		i += n
	}
	return b.String()
}

// headerWant restates the header-field rule: PRINTUSASCII or '_', cut to
// max, "-" when empty.
func headerWant(s string, max int, deny string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for _, r := range fixUTF8(s) {
		if b.Len() == max {
			break
		}
		if r < 33 || r > 126 || strings.ContainsRune(deny, r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// nilDash reads a parsed header field; nil is the NILVALUE.
func nilDash(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// FuzzFormat formats arbitrary text in every format, framing and encoding
// and checks that go-syslog's strict parsers accept the message and read
// the fields back. The seed corpus is in testdata/fuzz/FuzzFormat.
func FuzzFormat(f *testing.F) {
	f.Add("topic", "tag", "value", "field", "value", "host", "app", "msgid", uint8(0))
	f.Add("a\"b]c\\d\ne", "k=]\" ", "\r\n", "f||=|", "v\\|=\n\t", "h ö", "日本", "", uint8(13))
	f.Add("t", "__receive_time__", "v", "", "v", "h", "a", "m", uint8(18)) // leef, an empty field name
	f.Add("t", "", "v", "名前", "v", "h", "a", "m", uint8(12))               // cef
	f.Fuzz(func(t *testing.T, topic, tagKey, tagVal, fieldKey, fieldVal, host, app, msgid string, mode uint8) {
		c := NewConfig()
		c.Address, c.SDID = "127.0.0.1:514", testSDID
		c.Format = [...]string{"rfc5424", "rfc3164"}[mode%2]
		framing := [...]string{"octet_counting", "non_transparent", ""}[mode/2%3]
		if framing == "" {
			c.Protocol, c.UDPMaxSize = "udp", "65507"
		}
		c.Framing = framing
		c.Encoding = [...]string{"json", "kv", "cef", "leef"}[mode/6%4]
		c.Hostname, c.AppName, c.ProcID = host, app, "1"
		c.KV = &KVConfig{PairSeparator: "||", KVSeparator: "="}
		fm := mustFormatter(t, c)
		e := &event.Event{
			Time:   time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC),
			Topic:  topic,
			Tags:   []event.Tag{{Key: tagKey, Value: tagVal}},
			Fields: []event.Field{{Key: fieldKey, Value: event.String(fieldVal)}},
			Meta:   []event.Tag{{Key: event.MetaMsgID, Value: msgid}, {Key: event.MetaSeverity, Value: topic}},
		}
		frame := fm.appendFrame(nil, e, &scratch{})
		msg := unframe(t, fm, frame)
		if !utf8.Valid(msg) {
			t.Fatalf("invalid UTF-8: %q", msg)
		}
		nt := framing == "non_transparent"
		switch x := parse(t, fm, msg).(type) {
		case *rfc5424.SyslogMessage:
			if got, want := nilDash(x.Hostname), headerWant(fm.hostname, maxHostname, ""); got != want {
				t.Errorf("hostname %q, want %q", got, want)
			}
			if got, want := nilDash(x.MsgID), headerWant(msgid, maxMsgID, ""); got != want {
				t.Errorf("msgid %q, want %q", got, want)
			}
			sd := (*x.StructuredData)[testSDID]
			want := fixUTF8(topic)
			if nt {
				want = strings.NewReplacer("\n", "#012", "\r", "#015").Replace(want)
			}
			if topic != "" && sd["topic"] != want {
				t.Errorf("SD topic %q, want %q", sd["topic"], want)
			}
		case *rfc3164.SyslogMessage:
			if got, want := nilDash(x.Hostname), headerWant(fm.hostname, maxHostname, ":[]"); got != want {
				t.Errorf("hostname %q, want %q", got, want)
			}
		}
		b := body(parse(t, fm, msg))
		switch c.Encoding {
		case "json":
			m := decodeJSON(t, b)
			if m[fixUTF8(fieldKey)] != fixUTF8(fieldVal) && fieldKey != event.KeyTime && fieldKey != event.KeyTopic &&
				fieldKey != event.KeySource && fieldKey != event.KeyTag+tagKey {
				t.Errorf("json field %q = %v, want %q", fieldKey, m[fixUTF8(fieldKey)], fieldVal)
			}
		case "kv":
			pairs, err := decodeKV(b, "||", "=")
			if err != nil {
				t.Fatalf("kv body %q: %v", b, err)
			}
			last := pairs[len(pairs)-1]
			ctl := func(s string) string {
				return strings.Map(func(r rune) rune {
					if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
						return utf8.RuneError
					}
					return r
				}, fixUTF8(s))
			}
			if last.K != ctl(fieldKey) || last.V != ctl(fieldVal) {
				t.Errorf("kv last pair %q, want %q=%q", last, fieldKey, fieldVal)
			}
		case "cef":
			if _, ext, err := decodeCEF(b); err != nil || len(ext) < 2 {
				t.Errorf("cef body %q: %v, %d pairs", b, err, len(ext))
			}
		case "leef":
			if _, attrs, err := decodeLEEF(b); err != nil || len(attrs) < 3 {
				t.Errorf("leef body %q: %v, %d attributes", b, err, len(attrs))
			}
			// The strict parser takes it, unless the field's key repeats
			// another key or is a predefined one given a value of the
			// wrong syntax: both are the data's doing, not the encoder's.
			k := cefKey(fieldKey)
			dup := k == camelTag(tagKey) || k == "slsTopic" || k == "devTime" || k == "devTimeFormat"
			if _, err := leeftest.Parse(b); err != nil && !dup && !leeftest.Checked(k) {
				t.Errorf("strict LEEF parser refuses %q: %v", b, err)
			}
		}
	})
}
