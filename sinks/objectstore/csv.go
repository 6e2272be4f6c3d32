package objectstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
)

// column names one value of an event: a reserved SLS field or a content
// field. CSV and Parquet columns share it.
type column struct {
	name string
	kind columnKind
	key  string // tag or field name
}

type columnKind uint8

const (
	colField  columnKind = iota
	colTime              // __time__: Unix seconds
	colTopic             // __topic__
	colSource            // __source__
	colTag               // __tag__:NAME
)

func newColumn(name string) column {
	switch {
	case name == event.KeyTime:
		return column{name: name, kind: colTime}
	case name == event.KeyTopic:
		return column{name: name, kind: colTopic}
	case name == event.KeySource:
		return column{name: name, kind: colSource}
	case strings.HasPrefix(name, event.KeyTag):
		return column{name: name, kind: colTag, key: strings.TrimPrefix(name, event.KeyTag)}
	}
	return column{name: name, key: name}
}

// text appends the column's value as text and reports whether the event had
// it. JSON values (decoded fields, rule results that are not strings) are
// written as JSON text.
func (c column) text(dst []byte, ev *event.Event) ([]byte, bool) {
	switch c.kind {
	case colTime:
		return strconv.AppendInt(dst, ev.Time.Unix(), 10), true
	case colTopic:
		return append(dst, ev.Topic...), true
	case colSource:
		return append(dst, ev.Source...), true
	case colTag:
		v, ok := ev.Tag(c.key)
		return append(dst, v...), ok
	}
	v, ok := ev.Get(c.key)
	if !ok {
		return dst, false
	}
	switch v.Kind() {
	case event.KindAny:
		switch x := v.Interface().(type) {
		case nil:
			return dst, false
		case bool:
			return strconv.AppendBool(dst, x), true
		}
		return event.AppendValue(dst, v), true
	default:
		return append(dst, v.Str()...), true
	}
}

// csvFormat writes rows: a field is quoted when it holds the delimiter, the
// quote, the escape, CR or LF, or starts or ends with a space; inside quotes
// the quote character is preceded by the escape character (with the default
// escape, the quote itself, that doubles it as RFC 4180 does).
type csvFormat struct {
	cols                 []column
	delim, quote, escape byte
	header               bool
	null                 string
	special              [256]bool
}

func single(attr string, v *string, def byte, errs *[]error) byte {
	if v == nil {
		return def
	}
	if len(*v) != 1 || (*v)[0] == '\r' || (*v)[0] == '\n' {
		*errs = append(*errs, &plugin.AttrError{Attr: "csv." + attr, Err: fmt.Errorf("must be one ASCII character other than CR or LF, not %q", *v)})
		return def
	}
	return (*v)[0]
}

func (c *CSVConfig) compile() (*csvFormat, error) {
	var errs []error
	f := &csvFormat{header: c.Header == nil || *c.Header, null: c.Null}
	f.delim = single("delimiter", c.Delimiter, ',', &errs)
	f.quote = single("quote", c.Quote, '"', &errs)
	f.escape = single("escape", c.Escape, f.quote, &errs)
	if f.delim == f.quote {
		errs = append(errs, &plugin.AttrError{Attr: "csv.quote", Err: errors.New("must differ from the delimiter")})
	}
	if len(c.Columns) == 0 {
		errs = append(errs, &plugin.AttrError{Attr: "csv.columns", Err: errors.New("must list at least one field")})
	}
	seen := map[string]bool{}
	for _, name := range c.Columns {
		switch {
		case name == "":
			errs = append(errs, &plugin.AttrError{Attr: "csv.columns", Err: errors.New("column names must not be empty")})
		case seen[name]:
			errs = append(errs, &plugin.AttrError{Attr: "csv.columns", Err: fmt.Errorf("%q is listed twice", name)})
		}
		seen[name] = true
		f.cols = append(f.cols, newColumn(name))
	}
	for _, b := range []byte{f.delim, f.quote, f.escape, '\r', '\n'} {
		f.special[b] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *csvFormat) appendHeader(dst []byte) []byte {
	for i, c := range f.cols {
		if i > 0 {
			dst = append(dst, f.delim)
		}
		dst = f.appendField(dst, []byte(c.name))
	}
	return append(dst, '\n')
}

func (f *csvFormat) appendRow(dst, scratch []byte, ev *event.Event) ([]byte, []byte) {
	for i, c := range f.cols {
		if i > 0 {
			dst = append(dst, f.delim)
		}
		var ok bool
		scratch, ok = c.text(scratch[:0], ev)
		if !ok {
			dst = append(dst, f.null...)
			continue
		}
		dst = f.appendField(dst, scratch)
	}
	return append(dst, '\n'), scratch
}

func (f *csvFormat) appendField(dst, s []byte) []byte {
	needs := len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ' || string(s) == f.null)
	for i := 0; i < len(s) && !needs; i++ {
		needs = f.special[s[i]]
	}
	if !needs {
		return append(dst, s...)
	}
	dst = append(dst, f.quote)
	for i := 0; i < len(s); i++ {
		if s[i] == f.quote || s[i] == f.escape && f.escape != f.quote {
			dst = append(dst, f.escape)
		}
		dst = append(dst, s[i])
	}
	return append(dst, f.quote)
}
