package splunkhec

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forwarder/forwarder/event"
	"github.com/klauspost/compress/gzip"
)

// encoder writes events in HEC's wire form with hand-written append
// encoders (no reflection, no map per event). On the event endpoint each
// event is one line:
//
//	{"time":1795939202.123,"host":"…","source":"…","sourcetype":"…","index":"…","fields":{…},"event":{…}}
//
// The keys are:
//   - time: epoch seconds; milliseconds when the event's time has no finer
//     part, else microseconds (Splunk keeps µs). Omitted for a zero or
//     pre-1970 time, so Splunk uses the receipt time.
//   - host, source, sourcetype, index: the event's meta value, else the
//     config's default. Empty values are omitted (HEC then uses the token's
//     defaults). host does not fall back to the SLS __source__: that is the
//     client that wrote the log (an IP, often an SLS-internal address), not
//     a host Splunk should file the event under; a rule that wants it sets
//     meta = { host = "source" }. Nothing carries over between objects in
//     HEC, so every object repeats them.
//   - fields: the configured indexed fields the event has. HEC wants them
//     flat: strings stay strings, arrays of strings stay arrays, anything
//     else is sent as its JSON text in a string.
//   - event: the event's content fields as one JSON object, in order.
//     KindJSON fields are written verbatim, so a decoded ActionTrail
//     `event` stays an object. Topic, source and tags are not in the body;
//     list them in fields ("__topic__", "__tag__:NAME") to keep them.
//
// On the raw endpoint each event is its flat SLS JSON form
// (event.AppendJSON, with __time__, __topic__, __source__ and tags) on one
// line; the metadata goes in the query string from the config, since /raw
// has no per-event envelope.
type encoder struct {
	raw                             bool
	index, sourcetype, source, host string
	fields                          []string
}

func newEncoder(c *Config, raw bool) *encoder {
	return &encoder{
		raw:        raw,
		index:      c.Index,
		sourcetype: c.Sourcetype,
		source:     c.Source,
		host:       c.Host,
		fields:     c.Fields,
	}
}

// appendEvent appends one event and a newline to dst.
func (enc *encoder) appendEvent(dst []byte, e *event.Event) []byte {
	if enc.raw {
		// A KindJSON field is written verbatim and may hold line breaks;
		// in valid JSON they can only be whitespace between tokens, so
		// spaces keep the event on one line without changing its value.
		n := len(dst)
		dst = event.AppendJSON(dst, e, false)
		for _, c := range [...]byte{'\n', '\r'} {
			for i := n; ; {
				j := bytes.IndexByte(dst[i:], c)
				if j < 0 {
					break
				}
				dst[i+j] = ' '
				i += j + 1
			}
		}
		return append(dst, '\n')
	}
	dst = append(dst, '{')
	if !e.Time.IsZero() && e.Time.Unix() >= 0 {
		dst = append(dst, `"time":`...)
		dst = appendEpoch(dst, e.Time)
		dst = append(dst, ',')
	}
	dst = appendMeta(dst, "host", enc.meta(e, event.MetaHost, enc.host))
	dst = appendMeta(dst, "source", enc.meta(e, event.MetaSource, enc.source))
	dst = appendMeta(dst, "sourcetype", enc.meta(e, event.MetaSourcetype, enc.sourcetype))
	dst = appendMeta(dst, "index", enc.meta(e, event.MetaIndex, enc.index))
	dst = enc.appendIndexed(dst, e)
	dst = append(dst, `"event":`...)
	dst = event.AppendFields(dst, e)
	return append(dst, '}', '\n')
}

func (enc *encoder) meta(e *event.Event, key, def string) string {
	if v, ok := e.MetaValue(key); ok && v != "" {
		return v
	}
	return def
}

// appendMeta appends `"key":"value",` unless value is empty.
func appendMeta(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = event.AppendQuote(dst, value)
	return append(dst, ',')
}

// appendEpoch appends t as epoch seconds with a fraction: none for whole
// seconds, three digits for whole milliseconds, else six (microseconds).
func appendEpoch(dst []byte, t time.Time) []byte {
	dst = strconv.AppendInt(dst, t.Unix(), 10)
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return dst
	case ns%int(time.Millisecond) == 0:
		return appendFrac(dst, ns/int(time.Millisecond), 3)
	default:
		return appendFrac(dst, ns/int(time.Microsecond), 6)
	}
}

func appendFrac(dst []byte, v, digits int) []byte {
	dst = append(dst, '.')
	var buf [6]byte
	for i := digits - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:digits]...)
}

// appendIndexed appends `"fields":{…},` with the configured fields the event
// has, or nothing when it has none of them.
func (enc *encoder) appendIndexed(dst []byte, e *event.Event) []byte {
	n := 0
	for _, name := range enc.fields {
		v, ok := lookupField(e, name)
		if !ok {
			continue
		}
		if n == 0 {
			dst = append(dst, `"fields":{`...)
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = event.AppendQuote(dst, name)
		dst = append(dst, ':')
		dst = appendFlat(dst, v)
	}
	if n > 0 {
		dst = append(dst, '}', ',')
	}
	return dst
}

// lookupField finds a content field, or the SLS topic, source or a tag by
// their flat JSON names.
func lookupField(e *event.Event, name string) (event.Value, bool) {
	if v, ok := e.Get(name); ok {
		return v, true
	}
	switch {
	case name == event.KeyTopic && e.Topic != "":
		return event.String(e.Topic), true
	case name == event.KeySource && e.Source != "":
		return event.String(e.Source), true
	case strings.HasPrefix(name, event.KeyTag):
		if t, ok := e.Tag(name[len(event.KeyTag):]); ok {
			return event.String(t), true
		}
	}
	return event.Value{}, false
}

// appendFlat appends v as an HEC indexed-field value: a string or an array
// of strings. Other values become their JSON text in a string, because HEC
// refuses nested indexed fields (code 15).
func appendFlat(dst []byte, v event.Value) []byte {
	switch v.Kind() {
	case event.KindString:
		return event.AppendQuote(dst, v.Str())
	case event.KindJSON:
		if s := strings.TrimSpace(v.Str()); strings.HasPrefix(s, `"`) {
			return append(dst, s...) // already a JSON string
		}
		return event.AppendQuote(dst, strings.TrimSpace(v.Str()))
	}
	x := v.Interface()
	if arr, ok := x.([]any); ok && allStrings(arr) {
		return event.AppendAny(dst, arr)
	}
	n := len(dst)
	dst = event.AppendAny(dst, x)
	text := string(dst[n:])
	return event.AppendQuote(dst[:n], text)
}

func allStrings(a []any) bool {
	for _, v := range a {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

// Buffers and gzip writers are pooled: a batch is encoded into one buffer,
// which is kept for the next batch unless it grew past maxPooled.
const maxPooled = 16 << 20

// buffer holds one batch: the encoded events, their offsets and the
// compressed request body.
type buffer struct {
	b    []byte
	offs []int
	z    []byte
}

var bufPool = sync.Pool{New: func() any { return &buffer{b: make([]byte, 0, 64<<10)} }}

func getBuffer() *buffer { return bufPool.Get().(*buffer) }

func putBuffer(b *buffer) {
	if cap(b.b)+cap(b.z) > maxPooled {
		return
	}
	b.b, b.offs, b.z = b.b[:0], b.offs[:0], b.z[:0]
	bufPool.Put(b)
}

// gzipPools holds one pool of writers per level (index 1–9).
var gzipPools [10]sync.Pool

// appendGzip appends the gzip compression of src at level to dst.
func appendGzip(dst, src []byte, level int) []byte {
	bb := bytes.NewBuffer(dst)
	zw, _ := gzipPools[level].Get().(*gzip.Writer)
	if zw == nil {
		// NewWriterLevel fails only for a level outside 1–9, which
		// Validate refuses.
		zw, _ = gzip.NewWriterLevel(bb, level)
	} else {
		zw.Reset(bb)
	}
	// Writes to a bytes.Buffer cannot fail.
	_, _ = zw.Write(src)
	_ = zw.Close()
	zw.Reset(io.Discard) // drop the reference to the caller's buffer
	gzipPools[level].Put(zw)
	return bb.Bytes()
}
