package objectstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks/objectstore/s3test"
)

var testColumns = []ParquetColumn{
	{"__time__", TypeInt64}, {"__topic__", TypeString}, {"__tag__:__receive_time__", TypeInt64},
	{"seq", TypeInt64}, {"user", TypeString}, {"score", TypeDouble}, {"ok", TypeBoolean},
	{"small", TypeInt32}, {"ratio", TypeFloat}, {"bad", TypeInt64}, {"missing", TypeString},
}

// parquetEvents are events whose fields exercise every type and the nulls:
// "bad" never parses as int64, "missing" is never set, "small" overflows
// int32 on every tenth event.
func parquetEvents(n int) []*event.Event {
	evs := events(base, 0, n)
	for i, ev := range evs {
		ev.Set("score", event.String(fmt.Sprintf("%d.5", i)))
		ev.Set("ok", event.Any(i%2 == 0))
		small := fmt.Sprint(i)
		if i%10 == 9 {
			small = "9999999999"
		}
		ev.Set("small", event.String(small))
		ev.Set("ratio", event.Any(float64(i)/4))
		ev.Set("bad", event.String("n/a"))
	}
	return evs
}

// wantRow is the row expected for ev, as Go values (nil for null).
func wantRow(i int, ev *event.Event) map[string]any {
	rt, _ := ev.Tag("__receive_time__")
	var rtn int64
	fmt.Sscan(rt, &rtn)
	user, _ := ev.Get("user")
	var small any = int32(i)
	if i%10 == 9 {
		small = nil
	}
	return map[string]any{
		"__time__": ev.Time.Unix(), "__topic__": ev.Topic, "__tag__:__receive_time__": rtn,
		"seq": int64(i), "user": user.Str(), "score": float64(i) + 0.5, "ok": i%2 == 0,
		"small": small, "ratio": float32(i) / 4, "bad": nil, "missing": nil,
	}
}

// readParquet checks the file's schema against testColumns and returns its
// rows as maps of Go values.
func readParquet(t testing.TB, key string, b []byte) []map[string]any {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: not a parquet file: %v", key, err)
	}
	want := map[string]string{}
	for _, c := range testColumns {
		want[c.Name] = map[string]string{TypeString: "BYTE_ARRAY", TypeBoolean: "BOOLEAN", TypeInt32: "INT32",
			TypeInt64: "INT64", TypeFloat: "FLOAT", TypeDouble: "DOUBLE"}[c.Type]
	}
	got := map[string]string{}
	fields := f.Schema().Fields()
	for _, fl := range fields {
		if !fl.Optional() {
			t.Errorf("%s: column %s is not optional", key, fl.Name())
		}
		got[fl.Name()] = fl.Type().Kind().String()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s: schema (-want +got):\n%s", key, diff)
	}
	r := parquet.NewReader(f)
	defer r.Close()
	var out []map[string]any
	rows := make([]parquet.Row, 64)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			m := map[string]any{}
			for i, v := range row {
				var x any
				if !v.IsNull() {
					switch v.Kind() {
					case parquet.ByteArray:
						x = string(v.ByteArray())
					case parquet.Boolean:
						x = v.Boolean()
					case parquet.Int32:
						x = v.Int32()
					case parquet.Int64:
						x = v.Int64()
					case parquet.Float:
						x = v.Float()
					case parquet.Double:
						x = v.Double()
					}
				}
				m[fields[i].Name()] = x
			}
			out = append(out, m)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: read rows: %v", key, err)
		}
	}
	return out
}

// TestRealServerParquet stores Parquet objects (snappy and zstd pages, a
// size small enough for several row groups and objects) on versitygw and
// reads them back: schema (names, physical types, optional) and every
// value, nulls where a field is missing or fails to convert.
func TestRealServerParquet(t *testing.T) {
	for _, comp := range []string{CompressionSnappy, CompressionZstd, CompressionNone} {
		t.Run(comp, func(t *testing.T) {
			srv := s3test.Start(t, "archive")
			c := realConfig(srv, "archive")
			c.Format, c.Compression = FormatParquet, comp
			c.Parquet = &ParquetConfig{Columns: testColumns}
			c.MaxObjectSize = "300KiB"
			s := connect(t, c)
			evs := parquetEvents(4000)
			if err := write(t, s, evs); err != nil {
				t.Fatal(err)
			}
			objs := objects(t, srv.Client(t), "archive")
			if len(objs) < 2 {
				t.Errorf("%d objects; 300KiB should have rolled", len(objs))
			}
			var got []map[string]any
			for key, b := range objs {
				if !strings.HasSuffix(key, ".parquet") {
					t.Fatalf("key %q", key)
				}
				got = append(got, readParquet(t, key, b)...)
			}
			sort.Slice(got, func(i, j int) bool { return got[i]["seq"].(int64) < got[j]["seq"].(int64) })
			want := make([]map[string]any, len(evs))
			for i, ev := range evs {
				want[i] = wantRow(i, ev)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParquetValidate(t *testing.T) {
	c := NewConfig()
	c.Endpoint, c.Bucket, c.Format = "http://127.0.0.1:1", "b", FormatParquet
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "parquet needs a parquet") {
		t.Fatalf("no columns: %v", err)
	}
	c.Parquet = &ParquetConfig{Columns: []ParquetColumn{{"a", "int"}, {"b", TypeString}, {"b", TypeInt64}}}
	err := c.Validate()
	for _, want := range []string{`column "a": type must be string, boolean, int32, int64, float or double, not "int"`, `column "b" is declared twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v; want %q", err, want)
		}
	}
}

// TestParquetRowGroups: the encoder cuts a row group every 16 MiB of raw
// event bytes, which bounds its memory for large objects.
func TestParquetRowGroups(t *testing.T) {
	sp := newSpool("", 1<<30)
	enc, err := newParquetEncoder(testColumns, CompressionSnappy, sp)
	if err != nil {
		t.Fatal(err)
	}
	raw, n := 0, 0
	pad := event.String(strings.Repeat("x", 4000))
	for raw < 2*parquetRowGroup+parquetRowGroup/2 {
		ev := parquetEvents(1)[0]
		ev.Set("pad", pad)
		k, err := enc.add(ev)
		if err != nil {
			t.Fatal(err)
		}
		raw += k
		n++
	}
	if err := enc.finish(); err != nil {
		t.Fatal(err)
	}
	r, _ := sp.reader()
	b, _ := io.ReadAll(r)
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.RowGroups()); got != 3 {
		t.Fatalf("%d row groups for %d MiB raw, want 3", got, raw>>20)
	}
	if f.NumRows() != int64(n) {
		t.Fatalf("%d rows, want %d", f.NumRows(), n)
	}
}
