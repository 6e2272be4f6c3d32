package syslog

import (
	"bytes"
	"unicode/utf8"

	"github.com/forwarder/forwarder/event"
)

// Oversize messages on TCP and TLS. A receiver cuts a message longer than
// its limit (rsyslog's maxMessageSize, 8k by default) and parses the rest
// of the frame as new messages, so one huge event becomes dozens of
// garbage ones. The sink keeps every message within max_message_size:
// with oversize = "truncate" it shortens the event, not the bytes, so the
// message stays valid for its format and encoding (JSON still parses, CEF
// and LEEF escapes stay whole, the octet count is right); with
// "dead_letter" the event is rejected whole.

// maxCutRounds bounds the rounds that shorten the longest value before the
// fields at the end are dropped instead (an event of 100k small fields).
const maxCutRounds = 8

// appendBounded appends e's frame to dst with a message of at most max
// bytes (the framing, "LEN SP" or the LF, is not counted). It returns the
// original message size, and ok = false when the message was too long and
// could not or may not be shortened: then dst is returned unchanged.
//
// Shortening works on a copy of the event: the longest value is cut to the
// longest prefix that fits, on a UTF-8 boundary (a decoded JSON value
// becomes a string); when even its removal is not enough, it is emptied and
// the next longest is tried, up to maxCutRounds values. If the message is
// still too long, the most content fields that fit are kept, in order. The envelope (topic, source, tags)
// and the header are never cut; when they alone are too long, ok is false.
func (f *formatter) appendBounded(dst []byte, e *event.Event, max int, truncate bool, sc *scratch) (out []byte, size int, ok bool) {
	start := len(dst)
	dst = f.appendFrame(dst, e, sc)
	size = f.messageLen(dst[start:])
	if size <= max {
		return dst, size, true
	}
	dst = dst[:start]
	if !truncate {
		return dst, size, false
	}
	c := *e
	c.Fields = append([]event.Field(nil), e.Fields...)
	fits := func(n int) bool {
		c.Fields = c.Fields[:n]
		dst = f.appendFrame(dst[:start], &c, sc)
		return f.messageLen(dst[start:]) <= max
	}
	all := len(c.Fields)
	for range maxCutRounds {
		if fits(all) {
			return dst, size, true
		}
		i, text := longestValue(c.Fields, sc)
		if i < 0 {
			break
		}
		c.Fields[i].Value = event.String("")
		if !fits(all) {
			continue // not enough even without it: cut the next longest too
		}
		// The longest prefix of the value that fits. Each try formats a
		// message of about max bytes, so the search is cheap.
		lo, hi := 0, len(text) // fits with lo bytes; not known with hi
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			c.Fields[i].Value = event.String(cutUTF8(text, mid))
			if fits(all) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		c.Fields[i].Value = event.String(cutUTF8(text, lo))
		fits(all)
		return dst, size, true
	}
	if fits(all) {
		return dst, size, true
	}
	// The longest prefix of fields that fits; fits(0) is the envelope alone.
	lo, hi := -1, all // fits(lo) holds (none when lo < 0), fits(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid
		}
		c.Fields = c.Fields[:all]
	}
	if lo < 0 {
		return dst[:start], size, false
	}
	fits(lo)
	return dst, size, true
}

// messageLen is the length of the message in one frame.
func (f *formatter) messageLen(frame []byte) int {
	switch {
	case f.octetCounting:
		return len(frame) - bytes.IndexByte(frame, ' ') - 1
	case f.nonTransparent:
		return len(frame) - 1
	}
	return len(frame)
}

// longestValue returns the index and text of the longest non-empty value.
// The text of a non-string value is its JSON form, copied out of sc.
func longestValue(fields []event.Field, sc *scratch) (int, string) {
	best, n := -1, 0
	for i := range fields {
		v := fields[i].Value
		l := len(v.Str())
		if v.Kind() != event.KindString && v.Kind() != event.KindJSON {
			l = len(event.AppendValue(sc.b[:0], v))
		}
		if l > n {
			best, n = i, l
		}
	}
	if best < 0 {
		return -1, ""
	}
	v := fields[best].Value
	if v.Kind() == event.KindString || v.Kind() == event.KindJSON {
		return best, v.Str()
	}
	return best, string(event.AppendValue(nil, v))
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
