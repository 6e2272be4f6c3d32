package event

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"
)

// Reserved keys of the flat JSON form of an event. They follow SLS's own
// names, so what users see in the SLS console is what they see here.
const (
	KeyTime   = "__time__"
	KeyTopic  = "__topic__"
	KeySource = "__source__"
	KeyTag    = "__tag__:"
	KeyMeta   = "__meta__"
)

// AppendJSON appends the flat JSON form of e to dst:
//
//	{"__time__":"2026-11-24T08:15:02.5Z","__topic__":"…","__source__":"…","__tag__:k":"v",…fields…}
//
// Fields of KindJSON are written verbatim. With meta, a "__meta__" object
// holding the meta values follows when there are any.
func AppendJSON(dst []byte, e *Event, meta bool) []byte {
	dst = append(dst, `{"__time__":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","__topic__":`...)
	dst = AppendQuote(dst, e.Topic)
	dst = append(dst, `,"__source__":`...)
	dst = AppendQuote(dst, e.Source)
	for i := range e.Tags {
		dst = append(dst, ',')
		dst = AppendQuote(dst, KeyTag+e.Tags[i].Key)
		dst = append(dst, ':')
		dst = AppendQuote(dst, e.Tags[i].Value)
	}
	for i := range e.Fields {
		dst = append(dst, ',')
		dst = AppendQuote(dst, e.Fields[i].Key)
		dst = append(dst, ':')
		dst = AppendValue(dst, e.Fields[i].Value)
	}
	if meta && len(e.Meta) > 0 {
		dst = append(dst, `,"__meta__":`...)
		dst = AppendTags(dst, e.Meta)
	}
	return append(dst, '}')
}

// AppendFields appends the content fields of e as one JSON object.
func AppendFields(dst []byte, e *Event) []byte {
	dst = append(dst, '{')
	for i := range e.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendQuote(dst, e.Fields[i].Key)
		dst = append(dst, ':')
		dst = AppendValue(dst, e.Fields[i].Value)
	}
	return append(dst, '}')
}

// AppendTags appends key/value pairs as one JSON object of strings.
func AppendTags(dst []byte, kvs []Tag) []byte {
	dst = append(dst, '{')
	for i := range kvs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendQuote(dst, kvs[i].Key)
		dst = append(dst, ':')
		dst = AppendQuote(dst, kvs[i].Value)
	}
	return append(dst, '}')
}

// AppendValue appends v as JSON.
func AppendValue(dst []byte, v Value) []byte {
	switch v.kind {
	case KindJSON:
		return append(dst, v.str...)
	case KindAny:
		return AppendAny(dst, v.any)
	default:
		return AppendQuote(dst, v.str)
	}
}

// AppendAny appends a Go value as JSON. Maps are written with sorted keys so
// that output is deterministic. Non-finite floats become null.
func AppendAny(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return AppendQuote(dst, x)
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(dst, "null"...)
		}
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case Value:
		return AppendValue(dst, x)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendAny(dst, e)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuote(dst, k)
			dst = append(dst, ':')
			dst = AppendAny(dst, x[k])
		}
		return append(dst, '}')
	case time.Time:
		dst = append(dst, '"')
		dst = x.UTC().AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return AppendQuote(dst, err.Error())
		}
		return append(dst, b...)
	}
}
