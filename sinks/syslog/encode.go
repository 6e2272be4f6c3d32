package syslog

import (
	"strconv"
	"time"

	"github.com/forwarder/forwarder/event"
)

// appendBody appends the message body in the configured encoding.
//
// Every encoding writes the same pairs in the same order: unless
// fields_only is set, the event's __time__ (json and kv), topic, source and
// each tag, then the content fields. json and kv name them as SLS does
// (__topic__, __source__, __tag__:NAME); cef and leef as slsTopic,
// slsSource and slsTagName (see extKeyTag). kv, cef and leef rename pairs
// by their block's keys map. A field that is not a plain string (decoded
// JSON, a rule's computed value) is written as JSON text.
func (f *formatter) appendBody(dst []byte, e *event.Event, sc *scratch) []byte {
	switch f.enc {
	case encKV:
		return f.appendKV(dst, e, sc)
	case encCEF:
		return f.appendCEF(dst, e, sc)
	case encLEEF:
		return f.appendLEEF(dst, e, sc)
	}
	// json: the event package's own encoders, so there is one JSON escaper.
	if f.fieldsOnly {
		return event.AppendFields(dst, e)
	}
	return event.AppendJSON(dst, e, false)
}

// valueText returns v as text: the string itself, or its JSON form held in
// sc (valid until the next call).
func valueText(v event.Value, sc *scratch) string {
	if v.Kind() == event.KindString {
		return v.Str()
	}
	sc.b = event.AppendValue(sc.b[:0], v)
	return bytesString(sc.b)
}

// pairWriter writes key/value pairs with one encoding's separators and
// escaping rules.
type pairWriter struct {
	dst            []byte
	n              int // pairs written
	pairSep, kvSep string
	key, val       *escTable
}

// next writes the pair separator before every pair but the first.
func (w *pairWriter) next() {
	if w.n > 0 {
		w.dst = append(w.dst, w.pairSep...)
	}
	w.n++
}

func (w *pairWriter) pair(k, v string) {
	w.next()
	w.dst = appendEsc(w.dst, k, w.key)
	w.dst = append(w.dst, w.kvSep...)
	w.dst = appendEsc(w.dst, v, w.val)
}

// tagPair writes a tag under the key "__tag__:NAME" or, for CEF and LEEF
// (ext), slsTagName.
func (w *pairWriter) tagPair(k, v string, ext bool) {
	w.next()
	if ext {
		w.dst = appendTagKey(w.dst, k)
	} else {
		w.dst = appendEsc(w.dst, event.KeyTag, w.key)
		w.dst = appendEsc(w.dst, k, w.key)
	}
	w.dst = append(w.dst, w.kvSep...)
	w.dst = appendEsc(w.dst, v, w.val)
}

// envelope writes topic, source and tags unless fields_only is set, then
// the content fields, each under its keys-map name if it has one. ext
// selects the CEF/LEEF envelope keys.
func (f *formatter) envelope(w *pairWriter, e *event.Event, sc *scratch, ext bool) {
	if !f.fieldsOnly {
		topicKey, sourceKey := event.KeyTopic, event.KeySource
		if ext {
			topicKey, sourceKey = extKeyTopic, extKeySource
		}
		if e.Topic != "" {
			w.pair(f.keys.field(event.KeyTopic, topicKey), e.Topic)
		}
		if e.Source != "" {
			w.pair(f.keys.field(event.KeySource, sourceKey), e.Source)
		}
		for i := range e.Tags {
			t := &e.Tags[i]
			if k, ok := f.keys.tag(t.Key); ok {
				w.pair(k, t.Value)
				continue
			}
			w.tagPair(t.Key, t.Value, ext)
		}
	}
	for i := range e.Fields {
		k := f.keys.field(e.Fields[i].Key, e.Fields[i].Key)
		if ext && k == "" {
			k = "_" // "=value" is no CEF or LEEF attribute
		}
		w.pair(k, valueText(e.Fields[i].Value, sc))
	}
}

// appendKV writes key=value pairs; keys and values are escaped alike: '\',
// every character of either separator is preceded by '\', and CR/LF become
// \r and \n.
func (f *formatter) appendKV(dst []byte, e *event.Event, sc *scratch) []byte {
	w := pairWriter{dst: dst, pairSep: f.kvPair, kvSep: f.kvSep, key: f.kvTable, val: f.kvTable}
	if !f.fieldsOnly && !e.Time.IsZero() {
		var tb [40]byte
		w.pair(event.KeyTime, bytesString(e.Time.In(f.loc).AppendFormat(tb[:0], time.RFC3339Nano)))
	}
	f.envelope(&w, e, sc, false)
	return w.dst
}

// headerValue returns the named field's text when it is present and not
// empty, else the constant.
func headerValue(e *event.Event, field, constant string, sc *scratch) string {
	if field != "" {
		if v, ok := e.Get(field); ok {
			if s := valueText(v, sc); s != "" {
				return s
			}
		}
	}
	return constant
}

// eventValue returns the first that is not empty of: the event's meta
// value (set by a rule), the named field's text, the constant.
func eventValue(e *event.Event, metaKey, field, constant string, sc *scratch) string {
	if v, ok := e.MetaValue(metaKey); ok && v != "" {
		return v
	}
	return headerValue(e, field, constant, sc)
}

// defaultEventID is the LEEF EventID and CEF Signature ID of an event with
// no topic when nothing else names one.
const defaultEventID = "sls"

// eventID returns the LEEF EventID or CEF Signature ID: meta "event_id",
// the field, the constant, the event's topic, "sls"; the first not empty.
func eventID(e *event.Event, field, constant string, sc *scratch) string {
	if s := eventValue(e, event.MetaEventID, field, constant, sc); s != "" {
		return s
	}
	if e.Topic != "" {
		return e.Topic
	}
	return defaultEventID
}

// appendCEF writes "CEF:0|vendor|product|version|signature id|name|severity|"
// and the extension "rt=<epoch ms> key=value …". The Name is meta
// "event_name", name_field's value or name, else the Signature ID again.
func (f *formatter) appendCEF(dst []byte, e *event.Event, sc *scratch) []byte {
	c := &f.cef
	dst = append(dst, "CEF:0|"...)
	for _, h := range [...]string{c.Vendor, c.Product, c.Version} {
		dst = appendEsc(dst, h, cefHeader)
		dst = append(dst, '|')
	}
	sig := len(dst)
	dst = appendEsc(dst, eventID(e, c.SignatureIDField, c.SignatureID, sc), cefHeader)
	sigEnd := len(dst)
	dst = append(dst, '|')
	if name := eventValue(e, event.MetaEventName, c.NameField, c.Name, sc); name != "" {
		dst = appendEsc(dst, name, cefHeader)
	} else {
		dst = append(dst, dst[sig:sigEnd]...) // already escaped
	}
	dst = append(dst, '|')
	sev := headerValue(e, c.SeverityField, c.Severity, sc)
	if !validCEFSeverity(sev) {
		sev = c.Severity
	}
	dst = append(dst, sev...)
	dst = append(dst, '|')
	w := pairWriter{dst: dst, pairSep: " ", kvSep: "=", key: extKey, val: cefValue}
	if !e.Time.IsZero() {
		var tb [24]byte
		w.pair("rt", bytesString(strconv.AppendInt(tb[:0], e.Time.UnixMilli(), 10)))
	}
	f.envelope(&w, e, sc, true)
	return w.dst
}

// leefTimeLayout matches leefTimeFormat, the devTimeFormat sent with it.
const (
	leefTimeLayout = "2006-01-02T15:04:05.000-0700"
	leefTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
)

// appendLEEF writes "LEEF:1.0|vendor|product|version|event id|" or, for 2.0,
// "LEEF:2.0|…|event id|delimiter|", then devTime, devTimeFormat and the
// pairs separated by the delimiter. The EventID is as eventID says. LEEF has no escapes: the delimiter, TAB,
// CR and LF in values become spaces, '|' in header fields becomes '_'.
func (f *formatter) appendLEEF(dst []byte, e *event.Event, sc *scratch) []byte {
	l := &f.leef
	dst = append(dst, "LEEF:"...)
	dst = append(dst, l.FormatVersion...)
	dst = append(dst, '|')
	for _, h := range [...]string{l.Vendor, l.Product, l.ProductVersion} {
		dst = appendEsc(dst, h, leefHeader)
		dst = append(dst, '|')
	}
	dst = appendEsc(dst, eventID(e, l.EventIDField, l.EventID, sc), leefHeader)
	dst = append(dst, '|')
	if l.FormatVersion == "2.0" {
		if d := f.leefDelim; d > ' ' && d < 0x7f {
			dst = append(dst, d)
		} else {
			dst = append(dst, 'x', hexUpper[d>>4], hexUpper[d&0xF])
		}
		dst = append(dst, '|')
	}
	w := pairWriter{dst: dst, pairSep: f.leefSep, kvSep: "=", key: extKey, val: f.leefValue}
	if !e.Time.IsZero() {
		var tb [40]byte
		w.pair("devTime", bytesString(e.Time.In(f.loc).AppendFormat(tb[:0], leefTimeLayout)))
		w.pair("devTimeFormat", leefTimeFormat)
	}
	f.envelope(&w, e, sc, true)
	return w.dst
}

const hexUpper = "0123456789ABCDEF"
