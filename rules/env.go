package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/expr-lang/expr"
	"github.com/valyala/fastjson"

	"github.com/forwarder/forwarder/event"
)

// Env is the expr environment every rule expression is compiled against.
// It is a typed struct, so field access is a compiled fetch, not a map
// lookup. Content fields, tags and meta are reached through functions that
// the compiler inserts (see rewrite.go), so users write `event.eventName`
// while no map is built per event.
type Env struct {
	Topic  string    `expr:"topic"`
	Source string    `expr:"source"`
	Time   time.Time `expr:"time"`
	// Where the event was read (event.Origin): the source block's key
	// ("sls.audit"), the SLS project, logstore and shard id. Empty strings
	// and shard -1 when the source is not SLS or the origin is unknown.
	SourceName string `expr:"source_name"`
	Project    string `expr:"project"`
	Logstore   string `expr:"logstore"`
	Shard      int    `expr:"shard"`
	// Ctx carries the event and the per-worker JSON parse cache. Users cannot
	// name it: "$ctx" is not a valid identifier.
	Ctx *Ctx `expr:"$ctx"`
}

// names of the environment members users may write.
var envMembers = map[string]bool{
	"topic": true, "source": true, "time": true, "tags": true, "fields": true, "meta": true,
	"source_name": true, "project": true, "logstore": true, "shard": true,
}

// Ctx is the state of one event under evaluation: the event and lazily
// parsed JSON of its fields. A worker owns one Ctx and reuses it for every
// event, so parsers and caches are allocated once.
type Ctx struct {
	ev      *event.Event
	cache   []parsed
	parsers []*fastjson.Parser
}

type parsed struct {
	key string
	raw string // the field's text when it was parsed; a changed field reparses
	val *fastjson.Value
	err error
}

// reset binds the context to a new event and forgets parsed values.
func (c *Ctx) reset(ev *event.Event) {
	c.ev = ev
	for i := range c.cache {
		c.cache[i] = parsed{}
	}
	c.cache = c.cache[:0]
}

// parse returns the parsed JSON of a field holding JSON text. Parsing happens
// once per event and field; the result is valid until reset.
func (c *Ctx) parse(key, raw string) (*fastjson.Value, error) {
	for i := range c.cache {
		if c.cache[i].key == key && c.cache[i].raw == raw {
			return c.cache[i].val, c.cache[i].err
		}
	}
	n := len(c.cache)
	if n == len(c.parsers) {
		c.parsers = append(c.parsers, new(fastjson.Parser))
	}
	v, err := c.parsers[n].Parse(raw)
	c.cache = append(c.cache, parsed{key: key, raw: raw, val: v, err: err})
	return v, err
}

// field implements `name`, `name.a.b[0]` and `fields["name"]`: the value of a
// content field, and of a path inside it when it holds JSON.
func (c *Ctx) field(key string, path []any) (any, error) {
	v, ok := c.ev.Get(key)
	if !ok {
		return nil, nil
	}
	if len(path) == 0 {
		if v.Kind() == event.KindJSON {
			jv, err := c.parse(key, v.Str())
			if err != nil {
				return nil, err
			}
			return fromFastJSON(jv), nil
		}
		return v.Interface(), nil
	}
	switch v.Kind() {
	case event.KindAny:
		return walkAny(v.Interface(), path), nil
	default:
		// A string that holds JSON can be navigated before decode_json: a
		// filter may look inside `event` without paying for a decode of
		// events it drops.
		jv, err := c.parse(key, v.Str())
		if err != nil {
			if v.Kind() == event.KindJSON {
				return nil, err
			}
			return nil, fmt.Errorf("field %q is not JSON, so %s cannot be read: %w", key, pathString(key, path), err)
		}
		return fromFastJSON(walkJSON(jv, path)), nil
	}
}

func walkJSON(v *fastjson.Value, path []any) *fastjson.Value {
	for _, p := range path {
		if v == nil {
			return nil
		}
		switch k := p.(type) {
		case string:
			if v.Type() != fastjson.TypeObject {
				return nil
			}
			v = v.Get(k)
		case int:
			if v.Type() != fastjson.TypeArray {
				return nil
			}
			a, _ := v.Array()
			if k < 0 {
				k += len(a)
			}
			if k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			return nil
		}
	}
	return v
}

func walkAny(v any, path []any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok {
				return nil
			}
			if k < 0 {
				k += len(a)
			}
			if k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		default:
			return nil
		}
	}
	return v
}

func pathString(key string, path []any) string {
	s := key
	for _, p := range path {
		switch k := p.(type) {
		case string:
			s += "." + k
		default:
			s += fmt.Sprintf("[%v]", k)
		}
	}
	return s
}

// fromFastJSON turns a parsed JSON value into a Go value for expr: strings,
// float64 numbers (int when integral and small), bools, nil, []any and
// map[string]any.
func fromFastJSON(v *fastjson.Value) any {
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	case fastjson.TypeNumber:
		f := v.GetFloat64()
		if i := int(f); float64(i) == f && f > -1e15 && f < 1e15 {
			return i
		}
		return f
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeArray:
		a := v.GetArray()
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = fromFastJSON(e)
		}
		return out
	case fastjson.TypeObject:
		o := v.GetObject()
		out := make(map[string]any, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) { out[string(k)] = fromFastJSON(e) })
		return out
	}
	return nil
}

// fieldsMap implements a bare `fields`: every content field as a map. It is
// the slow path; `fields["name"]` does not build it.
func (c *Ctx) fieldsMap() map[string]any {
	m := make(map[string]any, len(c.ev.Fields))
	for _, f := range c.ev.Fields {
		v, _ := c.field(f.Key, nil)
		m[f.Key] = v
	}
	return m
}

func kvMap(kvs []event.Tag) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

func tagOrNil(kvs []event.Tag, key string) any {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// Internal function names the rewrite inserts. The "$" keeps users from
// calling them by accident: they are not valid identifiers in expr source.
const (
	fnField  = "$field"
	fnFields = "$fields"
	fnTag    = "$tag"
	fnTags   = "$tags"
	fnMeta   = "$meta"
	fnMetas  = "$metas"
)

// accessor adapts a function of the evaluation context to expr's calling
// convention: the rewrite always passes $ctx first.
func accessor(name string, fn func(c *Ctx, args []any) (any, error), types ...any) expr.Option {
	return expr.Function(name, func(params ...any) (any, error) {
		c, ok := params[0].(*Ctx)
		if !ok || c == nil {
			return nil, fmt.Errorf("internal: %s called without its evaluation context", name)
		}
		return fn(c, params[1:])
	}, types...)
}

// functions is the function table: the rewrite's accessors plus cidr.
// expr's builtins already give fromJSON, toJSON, now, duration and date.
var functions = []expr.Option{
	nonZero,
	accessor(fnField, func(c *Ctx, a []any) (any, error) { return c.field(a[0].(string), a[1:]) }, new(func(*Ctx, string, ...any) any)),
	accessor(fnFields, func(c *Ctx, _ []any) (any, error) { return c.fieldsMap(), nil }, new(func(*Ctx) map[string]any)),
	accessor(fnTag, func(c *Ctx, a []any) (any, error) { return tagOrNil(c.ev.Tags, a[0].(string)), nil }, new(func(*Ctx, string) any)),
	accessor(fnTags, func(c *Ctx, _ []any) (any, error) { return kvMap(c.ev.Tags), nil }, new(func(*Ctx) map[string]any)),
	accessor(fnMeta, func(c *Ctx, a []any) (any, error) { return tagOrNil(c.ev.Meta, a[0].(string)), nil }, new(func(*Ctx, string) any)),
	accessor(fnMetas, func(c *Ctx, _ []any) (any, error) { return kvMap(c.ev.Meta), nil }, new(func(*Ctx) map[string]any)),
	expr.Function("cidr", func(params ...any) (any, error) {
		ip, _ := params[0].(string)
		pfx, _ := params[1].(string)
		p, err := netip.ParsePrefix(pfx)
		if err != nil {
			return nil, fmt.Errorf("cidr: %w", err)
		}
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return false, nil // not an IP (e.g. "Internal"): not in any range
		}
		return p.Contains(a.Unmap()), nil
	}, new(func(any, string) bool)),
}

// toMetaString renders a meta value: strings as they are, numbers and bools
// in their usual text.
func toMetaString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	return string(event.AppendAny(nil, v))
}
