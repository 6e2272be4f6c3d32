package syslog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/syslog/rsyslogtest"
)

// oversizeEvents are events far over any message limit: one 300 kB value
// of characters every encoding escapes, 20k small fields, a large decoded
// JSON value.
func oversizeEvents(seq int) map[string]*event.Event {
	huge := testEvent(seq)
	huge.Fields = append(huge.Fields, event.Field{Key: "big", Value: event.String(strings.Repeat("日本é\"=|\\\n] ", 20000))})
	many := testEvent(seq + 1)
	for i := range 20000 {
		many.Fields = append(many.Fields, event.Field{Key: fmt.Sprintf("f%05d", i), Value: event.String("v|=" + strconv.Itoa(i))})
	}
	js := testEvent(seq + 2)
	js.Fields = append(js.Fields, event.Field{Key: "doc", Value: event.RawJSON(`{"a":"` + strings.Repeat("ö\\\"", 30000) + `"}`)})
	return map[string]*event.Event{"huge value": huge, "many fields": many, "big JSON": js}
}

// TestTruncateKeepsFramesValid: in every format, framing and encoding an
// oversize event becomes one message within max_message_size that the
// strict parsers accept, whose body still decodes, with the fields that
// come first (seq) intact.
func TestTruncateKeepsFramesValid(t *testing.T) {
	t.Parallel()
	const limit = 2048
	for _, format := range []string{"rfc5424", "rfc3164"} {
		for _, framing := range []string{"octet_counting", "non_transparent"} {
			for _, enc := range []string{"json", "kv", "cef", "leef"} {
				c := NewConfig()
				c.Format, c.Framing, c.Encoding, c.MaxMessageSize = format, framing, enc, strconv.Itoa(limit)
				f := mustFormatter(t, c)
				for name, e := range oversizeEvents(3) {
					t.Run(strings.Join([]string{format, framing, enc, name}, "/"), func(t *testing.T) {
						var sc scratch
						frame, size, ok := f.appendBounded(nil, e, limit, true, &sc)
						if !ok {
							t.Fatal("not truncated")
						}
						if size <= limit {
							t.Fatalf("reported size %d: the event was not oversize", size)
						}
						msg := unframe(t, f, frame)
						if len(msg) > limit || len(msg) < limit/2 {
							t.Fatalf("message of %d bytes, want %d–%d", len(msg), limit/2, limit)
						}
						if !utf8.Valid(msg) {
							t.Fatalf("invalid UTF-8: %q", msg[max(0, len(msg)-20):])
						}
						got := body(parse(t, f, msg))
						var err error
						switch enc {
						case "json":
							b := decodeJSON(t, got)
							if b["seq"] != e.Fields[0].Value.Str() {
								t.Errorf("seq = %v, want %s", b["seq"], e.Fields[0].Value.Str())
							}
						case "kv":
							_, err = decodeKV(got, f.kvPair, f.kvSep)
						case "cef":
							_, _, err = decodeCEF(got)
						case "leef":
							_, _, err = decodeLEEF(got)
						}
						if err != nil {
							t.Fatalf("%s body does not decode: %v\n%q", enc, err, got)
						}
						if !strings.Contains(got, "seq") {
							t.Errorf("the first field was cut: %q", got)
						}
					})
				}
			}
		}
	}
}

// TestOversizeLimits: an event that fits is written as it is; dead_letter
// refuses an oversize one; an envelope (tags) over the limit cannot be
// truncated.
func TestOversizeLimits(t *testing.T) {
	t.Parallel()
	c := NewConfig()
	c.MaxMessageSize = "1KiB"
	f := mustFormatter(t, c)
	var sc scratch
	small := testEvent(1)
	want := f.appendFrame(nil, small, &sc)
	if got, _, ok := f.appendBounded(nil, small, 1024, true, &sc); !ok || string(got) != string(want) {
		t.Fatalf("an event within the limit changed:\n%q\n%q", got, want)
	}
	big := oversizeEvents(1)["huge value"]
	if got, size, ok := f.appendBounded([]byte("x"), big, 1024, false, &sc); ok || string(got) != "x" || size < 300000 {
		t.Fatalf("dead_letter: ok=%v size=%d dst=%q", ok, size, got)
	}
	tags := testEvent(2)
	tags.Tags = append(tags.Tags, event.Tag{Key: "huge", Value: strings.Repeat("t", 4000)})
	if _, _, ok := f.appendBounded(nil, tags, 1024, true, &sc); ok {
		t.Fatal("an envelope over the limit was accepted")
	}
}

func TestMaxMessageSizeConfig(t *testing.T) {
	for _, tc := range []struct{ size, oversize, err string }{
		{"64KiB", "truncate", ""}, {"480", "dead_letter", ""}, {"100", "truncate", "max_message_size"},
		{"1GiB", "truncate", "max_message_size"}, {"lots", "truncate", "max_message_size"}, {"8KiB", "drop", "oversize"},
	} {
		c := NewConfig()
		c.Address, c.MaxMessageSize, c.Oversize = "127.0.0.1:514", tc.size, tc.oversize
		err := c.Validate()
		var ae *plugin.AttrError
		if tc.err == "" && err != nil || tc.err != "" && (!errors.As(err, &ae) || ae.Attr != tc.err) {
			t.Errorf("%s/%s: %v, want error on %q", tc.size, tc.oversize, err, tc.err)
		}
	}
	if d := NewConfig(); d.MaxMessageSize != "64KiB" || d.Oversize != "truncate" {
		t.Errorf("defaults %s/%s", d.MaxMessageSize, d.Oversize)
	}
}

// TestRsyslogMaxMessageSize sends oversize events to a real rsyslog whose
// maxMessageSize is 2k: with truncate each arrives as one message whose
// JSON parses; with dead_letter they are rejected and the rest arrive.
func TestRsyslogMaxMessageSize(t *testing.T) {
	t.Parallel()
	for _, framing := range []string{"octet_counting", "non_transparent"} {
		for _, policy := range []string{"truncate", "dead_letter"} {
			t.Run(framing+"/"+policy, func(t *testing.T) {
				srv := rsyslogtest.Start(t, rsyslogtest.Options{MaxMessageSize: "2k"})
				c := NewConfig()
				c.Address, c.Framing, c.AckHold = srv.TCPAddr, framing, "10ms"
				c.MaxMessageSize, c.Oversize = "2KiB", policy
				s := newSink(t, c)
				ctx := context.Background()
				if err := s.Connect(ctx); err != nil {
					t.Fatal(err)
				}
				defer s.Close(ctx)
				var batch []*event.Event
				big := map[int]bool{}
				for range 4 {
					batch = append(batch, testEvent(len(batch)))
					for _, e := range oversizeEvents(0) {
						e.Fields[0].Value = event.String(strconv.Itoa(len(batch)))
						big[len(batch)] = true
						batch = append(batch, e)
					}
				}
				err := s.WriteBatch(ctx, batch)
				want := len(batch)
				if policy == "dead_letter" {
					var be *sinks.BatchError
					if !errors.As(err, &be) || len(be.Results) != len(batch) {
						t.Fatalf("WriteBatch = %v, want a BatchError", err)
					}
					for i, r := range be.Results {
						if wantOut := map[bool]sinks.Outcome{true: sinks.Reject, false: sinks.OK}[big[i]]; r.Outcome != wantOut {
							t.Errorf("event %d: %v, want %v", i, r.Outcome, wantOut)
						}
						if big[i] && !strings.Contains(r.Reason, "max_message_size") {
							t.Errorf("reason %q", r.Reason)
						}
					}
					want = len(batch) - len(big)
				} else if err != nil {
					t.Fatal(err)
				}
				if _, err := srv.WaitMessages(want, 20*time.Second); err != nil {
					t.Fatalf("%v (rsyslog log: %s)", err, srv.Log())
				}
				time.Sleep(200 * time.Millisecond) // split garbage would come after
				msgs, _ := srv.Messages()
				if len(msgs) != want {
					t.Fatalf("rsyslog received %d messages, want %d: an event was split", len(msgs), want)
				}
				seen := map[int]bool{}
				for _, m := range msgs {
					b := decodeJSON(t, m.Msg)
					seq, err := seqOf(b)
					if err != nil || seen[seq] || policy == "dead_letter" && big[seq] {
						t.Fatalf("message %q: seq %d, %v", m.RawMsg[:min(len(m.RawMsg), 200)], seq, err)
					}
					seen[seq] = true
					if len(m.RawMsg) > 2048 {
						t.Errorf("message of %d bytes", len(m.RawMsg))
					}
				}
			})
		}
	}
}

// FuzzTruncate shortens events of arbitrary values and field counts to an
// arbitrary limit in every format, framing and encoding: the result is
// within the limit, valid UTF-8, accepted by the strict parsers, and its
// body decodes. The seed corpus is in testdata/fuzz/FuzzTruncate.
func FuzzTruncate(f *testing.F) {
	f.Add("日本é\"=|\\\n] ", uint16(300), uint16(40), uint16(100), uint8(0))
	f.Add("x", uint16(2000), uint16(2), uint16(0), uint8(7))
	f.Add("\\\\\\\\", uint16(1), uint16(60000), uint16(3000), uint8(13))
	f.Fuzz(func(t *testing.T, value string, repeat, fields, limit uint16, mode uint8) {
		c := NewConfig()
		c.Format = []string{"rfc5424", "rfc3164"}[mode&1]
		c.Framing = []string{"octet_counting", "non_transparent"}[mode>>1&1]
		c.Encoding = []string{"json", "kv", "cef", "leef"}[mode>>2&3]
		max := minMessageSize + int(limit)%4000
		c.MaxMessageSize = strconv.Itoa(max)
		fm := mustFormatter(t, c)
		e := testEvent(int(mode))
		e.Fields = append(e.Fields, event.Field{Key: "v", Value: event.String(strings.Repeat(value, int(repeat)%5000))})
		for i := range int(fields) % 3000 {
			e.Fields = append(e.Fields, event.Field{Key: "k" + strconv.Itoa(i), Value: event.String(value)})
		}
		var sc scratch
		frame, _, ok := fm.appendBounded(nil, e, max, true, &sc)
		if !ok {
			// Only when the envelope alone is too long.
			e.Fields = nil
			if env, _, _ := fm.appendBounded(nil, e, 1<<30, true, &sc); fm.messageLen(env) <= max {
				t.Fatalf("refused although the envelope (%d bytes) fits in %d", fm.messageLen(env), max)
			}
			return
		}
		msg := unframe(t, fm, frame)
		if len(msg) > max {
			t.Fatalf("message of %d bytes, limit %d", len(msg), max)
		}
		got := body(parse(t, fm, msg))
		var err error
		switch c.Encoding {
		case "json":
			decodeJSON(t, got)
		case "kv":
			_, err = decodeKV(got, fm.kvPair, fm.kvSep)
		case "cef":
			_, _, err = decodeCEF(got)
		case "leef":
			_, _, err = decodeLEEF(got)
		}
		if err != nil {
			t.Fatalf("%s body does not decode: %v\n%q", c.Encoding, err, got)
		}
	})
}
