// Package event holds the record that flows from sources through rules to
// sinks, and the batch that carries records together with their
// acknowledgement. It is the leaf package every other package shares.
package event

import (
	"time"
)

// Kind says how a field's value is held.
type Kind uint8

const (
	// KindString is a plain string, as SLS stores every content field.
	KindString Kind = iota
	// KindJSON is a string known to hold valid JSON text (set by decode_json).
	// Encoders write it verbatim, so an untouched decoded field costs nothing.
	KindJSON
	// KindAny is a Go value computed by a rule: nil, bool, int64, float64,
	// string, []any or map[string]any.
	KindAny
)

// Value is a field's value. The zero Value is the empty string.
type Value struct {
	kind Kind
	str  string
	any  any
}

// String returns a Value holding s as a plain string.
func String(s string) Value { return Value{kind: KindString, str: s} }

// RawJSON returns a Value holding s, which the caller has checked is valid JSON.
func RawJSON(s string) Value { return Value{kind: KindJSON, str: s} }

// Any returns a Value holding a Go value computed by a rule. A string is
// stored as KindString so that encoders take the fast path.
func Any(v any) Value {
	if s, ok := v.(string); ok {
		return String(s)
	}
	return Value{kind: KindAny, any: v}
}

// Kind reports how the value is held.
func (v Value) Kind() Kind { return v.kind }

// Str returns the string for KindString, the JSON text for KindJSON, and ""
// for KindAny.
func (v Value) Str() string { return v.str }

// Interface returns the value as a Go value: the string for KindString and
// KindJSON (JSON text is not parsed here), the Go value for KindAny.
func (v Value) Interface() any {
	if v.kind == KindAny {
		return v.any
	}
	return v.str
}

// Field is one named value. Order is kept as SLS delivered it.
type Field struct {
	Key   string
	Value Value
}

// Tag is one SLS log tag (`__tag__:NAME`), stored without the prefix.
type Tag struct {
	Key, Value string
}

// Meta keys that sinks honour. Rules may set any of these with `meta = {…}`.
const (
	MetaIndex      = "index"      // HEC index
	MetaSourcetype = "sourcetype" // HEC sourcetype
	MetaSource     = "source"     // HEC source
	MetaHost       = "host"       // HEC host, syslog HOSTNAME
	MetaSeverity   = "severity"   // syslog severity (name or number)
	MetaFacility   = "facility"   // syslog facility (name or number)
	MetaAppName    = "app_name"   // syslog APP-NAME
	MetaMsgID      = "msgid"      // syslog MSGID
	MetaEventID    = "event_id"   // syslog LEEF EventID, CEF Signature ID (e.g. the ActionTrail eventName)
	MetaEventName  = "event_name" // syslog CEF Name
)

// MetaKeys lists every meta key sinks honour, for validation and docs.
var MetaKeys = []string{MetaIndex, MetaSourcetype, MetaSource, MetaHost, MetaSeverity, MetaFacility, MetaAppName, MetaMsgID, MetaEventID, MetaEventName}

// Event is one log record: one SLS log plus what rules made of it.
// An Event is owned by one goroutine at a time; a route that changes it works
// on a Clone.
type Event struct {
	// Time is the log's time, with the nanosecond part when SLS had one.
	Time time.Time
	// Topic is the SLS __topic__.
	Topic string
	// Source is the SLS __source__ (usually the client IP).
	Source string
	// Tags are the SLS log tags, without the "__tag__:" prefix.
	Tags []Tag
	// Fields are the content fields, in SLS order, plus what rules set.
	Fields []Field
	// Meta are routing hints for sinks (index, sourcetype, severity, …).
	Meta []Tag
	// Origin says where the event was read; nil when unknown (rule tests).
	// Every event of a batch shares one Origin, so it costs a pointer per
	// event. Rules read it (project, logstore, shard, source_name); sinks
	// never write it.
	Origin *Origin
}

// Origin is where a batch of events was read. A source makes one per shard
// (or per source) and points every event it reads there at it; it is never
// changed afterwards.
type Origin struct {
	// Source is the source block's key, "sls.audit".
	Source string
	// Project and Logstore are the SLS project and logstore; empty for
	// sources that are not SLS.
	Project, Logstore string
	// Shard is the SLS shard id; -1 for sources that are not SLS.
	Shard int
}

// Get returns the value of the named field.
func (e *Event) Get(key string) (Value, bool) {
	for i := range e.Fields {
		if e.Fields[i].Key == key {
			return e.Fields[i].Value, true
		}
	}
	return Value{}, false
}

// Index returns the position of the named field, or -1.
func (e *Event) Index(key string) int {
	for i := range e.Fields {
		if e.Fields[i].Key == key {
			return i
		}
	}
	return -1
}

// Set sets the named field, appending it when it is new.
func (e *Event) Set(key string, v Value) {
	if i := e.Index(key); i >= 0 {
		e.Fields[i].Value = v
		return
	}
	e.Fields = append(e.Fields, Field{Key: key, Value: v})
}

// Delete removes the named field, keeping the order of the rest.
func (e *Event) Delete(key string) {
	if i := e.Index(key); i >= 0 {
		e.Fields = append(e.Fields[:i], e.Fields[i+1:]...)
	}
}

// Tag returns the value of the named tag.
func (e *Event) Tag(key string) (string, bool) { return lookup(e.Tags, key) }

// MetaValue returns the named meta value.
func (e *Event) MetaValue(key string) (string, bool) { return lookup(e.Meta, key) }

// SetMeta sets a meta value.
func (e *Event) SetMeta(key, value string) {
	for i := range e.Meta {
		if e.Meta[i].Key == key {
			e.Meta[i].Value = value
			return
		}
	}
	e.Meta = append(e.Meta, Tag{Key: key, Value: value})
}

func lookup(kvs []Tag, key string) (string, bool) {
	for i := range kvs {
		if kvs[i].Key == key {
			return kvs[i].Value, true
		}
	}
	return "", false
}

// Clone returns a copy whose slices may be changed without touching e.
// Values are immutable, so they are shared.
func (e *Event) Clone() *Event {
	c := *e
	c.Tags = append([]Tag(nil), e.Tags...)
	c.Fields = append(make([]Field, 0, len(e.Fields)+2), e.Fields...)
	c.Meta = append([]Tag(nil), e.Meta...)
	return &c
}

// RawSize is the number of raw log bytes: keys plus values of fields and
// tags, plus topic and source. Throughput figures count these bytes.
func (e *Event) RawSize() int {
	n := len(e.Topic) + len(e.Source)
	for i := range e.Tags {
		n += len(e.Tags[i].Key) + len(e.Tags[i].Value)
	}
	for i := range e.Fields {
		n += len(e.Fields[i].Key) + len(e.Fields[i].Value.str)
	}
	return n
}
