package objectstore

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqgzip "github.com/parquet-go/parquet-go/compress/gzip"
	pqsnappy "github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
)

// Parquet column types, the SLS shipper's set.
const (
	TypeString  = "string"
	TypeBoolean = "boolean"
	TypeInt32   = "int32"
	TypeInt64   = "int64"
	TypeFloat   = "float"
	TypeDouble  = "double"
)

var parquetTypes = map[string]parquet.Node{
	TypeString:  parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
	TypeBoolean: parquet.Leaf(parquet.BooleanType),
	TypeInt32:   parquet.Leaf(parquet.Int32Type),
	TypeInt64:   parquet.Leaf(parquet.Int64Type),
	TypeFloat:   parquet.Leaf(parquet.FloatType),
	TypeDouble:  parquet.Leaf(parquet.DoubleType),
}

// parquetRowGroup is the raw event bytes after which a row group is
// written out: the writer holds one row group in memory, so this bounds
// its memory whatever the object size.
const parquetRowGroup = 16 << 20

func validateColumns(cols []ParquetColumn) error {
	var errs []error
	seen := map[string]bool{}
	for _, c := range cols {
		switch {
		case c.Name == "":
			errs = append(errs, &plugin.AttrError{Attr: "parquet.column", Err: errors.New("column names must not be empty")})
		case seen[c.Name]:
			errs = append(errs, &plugin.AttrError{Attr: "parquet.column", Err: fmt.Errorf("column %q is declared twice", c.Name)})
		}
		seen[c.Name] = true
		if _, ok := parquetTypes[c.Type]; !ok {
			errs = append(errs, &plugin.AttrError{Attr: "parquet.column.type", Err: fmt.Errorf(
				"column %q: type must be string, boolean, int32, int64, float or double, not %q", c.Name, c.Type)})
		}
	}
	return errors.Join(errs...)
}

// parquetSchema is the file schema: every column optional, in name order
// (parquet-go orders a group's fields by name; leaf indexes follow it).
func parquetSchema(cols []ParquetColumn) *parquet.Schema {
	g := parquet.Group{}
	for _, c := range cols {
		g[c.Name] = parquet.Optional(parquetTypes[c.Type])
	}
	return parquet.NewSchema("event", g)
}

type pqColumn struct {
	column
	typ string
}

// parquetEncoder writes rows; a value that is missing, or that does not
// convert to its column's type, is null.
type parquetEncoder struct {
	w       *parquet.GenericWriter[any]
	cols    []pqColumn // in leaf order
	rows    []parquet.Row
	values  []parquet.Value // backing array of rows, reused after each WriteRows
	arena   []byte          // string values of rows, reused likewise
	raw     int
	scratch []byte
}

func codec(name string) compress.Codec {
	switch name {
	case CompressionGzip:
		return &pqgzip.Codec{Level: 1}
	case CompressionSnappy:
		return &pqsnappy.Codec{}
	case CompressionZstd:
		return &pqzstd.Codec{Level: pqzstd.SpeedFastest, Concurrency: 1}
	}
	return &uncompressed.Codec{}
}

func newParquetEncoder(cols []ParquetColumn, compression string, w io.Writer) (encoder, error) {
	sorted := append([]ParquetColumn(nil), cols...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	e := &parquetEncoder{
		w: parquet.NewGenericWriter[any](w, parquetSchema(cols), parquet.Compression(codec(compression)),
			parquet.CreatedBy("forwarder", "", "")),
	}
	for _, c := range sorted {
		e.cols = append(e.cols, pqColumn{column: newColumn(c.Name), typ: c.Type})
	}
	return e, nil
}

func (e *parquetEncoder) add(ev *event.Event) (int, error) {
	start := len(e.values)
	for i, c := range e.cols {
		e.values = append(e.values, e.value(c, ev).Level(0, 0, i))
	}
	row := parquet.Row(e.values[start:len(e.values):len(e.values)])
	for i := range row {
		if !row[i].IsNull() {
			row[i] = row[i].Level(0, 1, i)
		}
	}
	e.rows = append(e.rows, row)
	n := ev.RawSize()
	e.raw += n
	if len(e.rows) >= 256 {
		if err := e.writeRows(); err != nil {
			return n, err
		}
	}
	if e.raw >= parquetRowGroup {
		if err := e.writeRows(); err != nil {
			return n, err
		}
		e.raw = 0
		if err := e.w.Flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (e *parquetEncoder) writeRows() error {
	if len(e.rows) == 0 {
		return nil
	}
	_, err := e.w.WriteRows(e.rows) // copies the values into the column buffers
	clear(e.rows)
	e.rows, e.values, e.arena = e.rows[:0], e.values[:0], e.arena[:0]
	return err
}

func (e *parquetEncoder) finish() error {
	if err := e.writeRows(); err != nil {
		return err
	}
	return e.w.Close()
}

// value converts one column of ev.
func (e *parquetEncoder) value(c pqColumn, ev *event.Event) parquet.Value {
	if c.kind == colTime {
		switch c.typ {
		case TypeInt64:
			return parquet.Int64Value(ev.Time.Unix())
		case TypeDouble:
			return parquet.DoubleValue(float64(ev.Time.UnixNano()) / 1e9)
		}
	}
	if c.kind == colField && c.typ != TypeString {
		if v, ok := ev.Get(c.key); ok && v.Kind() == event.KindAny {
			return anyValue(c.typ, v.Interface())
		}
	}
	var ok bool
	e.scratch, ok = c.text(e.scratch[:0], ev)
	if !ok {
		return parquet.NullValue()
	}
	if c.typ == TypeString {
		// Rows reference the arena until writeRows; if it grows, earlier
		// values keep the old array alive, so they stay valid.
		n := len(e.arena)
		e.arena = append(e.arena, e.scratch...)
		return parquet.ByteArrayValue(e.arena[n:len(e.arena):len(e.arena)])
	}
	s := string(e.scratch)
	switch c.typ {
	case TypeBoolean:
		if b, err := strconv.ParseBool(s); err == nil {
			return parquet.BooleanValue(b)
		}
	case TypeInt32:
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			return parquet.Int32Value(int32(n))
		}
	case TypeInt64:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return parquet.Int64Value(n)
		}
	case TypeFloat:
		if f, err := strconv.ParseFloat(s, 32); err == nil {
			return parquet.FloatValue(float32(f))
		}
	case TypeDouble:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return parquet.DoubleValue(f)
		}
	}
	return parquet.NullValue()
}

// anyValue converts a rule's Go value (bool, int64, float64, string, …).
func anyValue(typ string, v any) parquet.Value {
	switch x := v.(type) {
	case bool:
		if typ == TypeBoolean {
			return parquet.BooleanValue(x)
		}
	case int:
		return anyValue(typ, int64(x))
	case int64:
		switch typ {
		case TypeInt64:
			return parquet.Int64Value(x)
		case TypeInt32:
			if x >= math.MinInt32 && x <= math.MaxInt32 {
				return parquet.Int32Value(int32(x))
			}
		case TypeFloat:
			return parquet.FloatValue(float32(x))
		case TypeDouble:
			return parquet.DoubleValue(float64(x))
		}
	case float64:
		switch typ {
		case TypeFloat:
			return parquet.FloatValue(float32(x))
		case TypeDouble:
			return parquet.DoubleValue(x)
		case TypeInt64, TypeInt32:
			if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
				return anyValue(typ, int64(x))
			}
		}
	}
	return parquet.NullValue()
}
