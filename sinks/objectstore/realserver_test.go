package objectstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks/objectstore/s3test"
)

// realConfig is a config for a versitygw server, signed with its keys.
func realConfig(srv *s3test.Server, bucket string) *Config {
	c := testConfig(srv.URL)
	c.Bucket = bucket
	c.AccessKeyID, c.AccessKeySecret = s3test.AccessKey, s3test.SecretKey
	return c
}

// TestRealServerJSON writes through versitygw, which verifies SigV4 on
// every request (streaming-signed chunks included, since the endpoint is
// plain http), and reads every object back: every event exactly once; a
// 5 MiB part size makes the large partition a multipart upload.
func TestRealServerJSON(t *testing.T) {
	srv := s3test.Start(t, "archive")
	c := realConfig(srv, "archive")
	c.Compression = CompressionGzip
	c.PartSize = "5MiB"
	c.MaxObjectSize = "256MiB"
	c.MemoryBuffer = "1MiB"
	s := connect(t, c)

	small := events(base, 0, 300)
	big := events(base.Add(24*3600e9), 0, 30000) // the next day: one object of about 8 MB gzipped
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, ev := range big {
		ev.Time = base.Add(24 * 3600e9)
		pad := make([]byte, 200)
		for i := range pad {
			pad[i] = byte(rnd.Uint32())
		}
		ev.Set("pad", event.String(hex.EncodeToString(pad)))
	}
	if err := write(t, s, small); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, big); err != nil {
		t.Fatal(err)
	}
	multipart := 0
	for info := range srv.Client(t).ListObjects(context.Background(), "archive", minio.ListObjectsOptions{Recursive: true}) {
		if strings.Contains(info.ETag, "-") { // a multipart ETag ends in -PARTS
			multipart++
		}
	}
	if multipart != 1 {
		t.Errorf("%d multipart objects, want 1", multipart)
	}
	var got []string
	for key, b := range objects(t, srv.Client(t), "archive") {
		got = append(got, lines(t, key, decompress(t, key, b))...)
	}
	sort.Strings(got)
	want := append(jsonLines(small, false), jsonLines(big, false)...)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("bucket (-want +got):\n%s", diff)
	}
}

// TestRealServerRejectsBadSignature: a wrong secret fails Connect, so the
// server does check signatures and the sink reports it.
func TestRealServerRejectsBadSignature(t *testing.T) {
	srv := s3test.Start(t, "archive")
	c := realConfig(srv, "archive")
	c.AccessKeySecret = "wrong-secret"
	s, err := New(c, sinksSettings())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	err = s.Connect(context.Background())
	if err == nil {
		t.Fatal("Connect succeeded with a wrong secret")
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("error shows the secret: %v", err)
	}
	t.Logf("Connect with a wrong secret: %v", err)
}

// csvScript parses CSV from stdin with Python's csv module, with the
// csv.reader keyword arguments given as JSON in sys.argv[1], and prints the
// rows as JSON.
const csvScript = `
import csv, io, json, sys
d = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
r = csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""), **d)
json.dump(list(r), sys.stdout)
`

// TestRealServerCSV writes CSV in the default (RFC 4180) dialect and in a
// custom one, stores them on versitygw, and parses every object with
// Python's csv module configured for the dialect: the header row, then
// every event's row exactly once, with the null value for a missing field.
func TestRealServerCSV(t *testing.T) {
	py := python(t, "csv")
	cols := []string{"__time__", "__topic__", "__source__", "__tag__:__receive_time__", "seq", "user", "event", "note", "absent"}
	str := func(s string) *string { return &s }
	for _, tt := range []struct {
		name    string
		csv     CSVConfig
		comp    string
		dialect string // Python csv.reader keyword arguments, as JSON
	}{
		{"rfc4180 gzip", CSVConfig{Columns: cols, Null: "NULL"}, CompressionGzip, `{}`},
		{"pipe backslash", CSVConfig{Columns: cols, Delimiter: str("|"), Quote: str("'"), Escape: str(`\`)}, CompressionNone,
			`{"delimiter": "|", "quotechar": "'", "escapechar": "\\", "doublequote": false}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := s3test.Start(t, "archive")
			c := realConfig(srv, "archive")
			c.Format, c.Compression, c.CSV = FormatCSV, tt.comp, &tt.csv
			s := connect(t, c)
			evs := events(base, 0, 500)
			evs[3].Set("note", event.String(`back\slash 'single' "double" | pipe`))
			evs[4].Set("user", event.Any(map[string]any{"name": "bob", "n": 2.5}))
			evs[5].Set("absent", event.Any(true))
			if err := write(t, s, evs); err != nil {
				t.Fatal(err)
			}
			var want [][]string
			for _, ev := range evs {
				row := []string{fmt.Sprint(ev.Time.Unix()), ev.Topic, ev.Source}
				rt, _ := ev.Tag("__receive_time__")
				row = append(row, rt)
				for _, k := range []string{"seq", "user", "event", "note", "absent"} {
					v, ok := ev.Get(k)
					switch {
					case !ok:
						row = append(row, tt.csv.Null)
					case v.Kind() == event.KindAny:
						row = append(row, string(event.AppendValue(nil, v)))
					default:
						row = append(row, v.Str())
					}
				}
				want = append(want, row)
			}
			var got [][]string
			for key, b := range objects(t, srv.Client(t), "archive") {
				out := runPython(t, py, "import sys; sys.argv.append("+strconv.Quote(tt.dialect)+")\n"+csvScript, decompress(t, key, b))
				var rows [][]string
				if err := json.Unmarshal(out, &rows); err != nil {
					t.Fatal(err)
				}
				if len(rows) == 0 || !cmp.Equal(rows[0], cols) {
					t.Fatalf("%s: header %v, want %v", key, rows[:min(1, len(rows))], cols)
				}
				got = append(got, rows[1:]...)
			}
			sortRows := func(r [][]string) {
				sort.Slice(r, func(i, j int) bool { return r[i][4] < r[j][4] })
			}
			sortRows(want)
			sortRows(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// snappyScript decodes the snappy framing format from stdin with
// python3-snappy's StreamDecompressor (chunk bodies by C++ libsnappy). Its
// CRC-32C binding breaks on Python ≥ 3.10 ("PY_SSIZE_T_CLEAN macro must be
// defined"), so the checksum is computed in Python instead; every chunk is
// still checked.
const snappyScript = `
import sys
import snappy.snappy as s
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
s._crc32c = crc32c
d = s.StreamDecompressor()
out = d.decompress(sys.stdin.buffer.read())
d.flush()
sys.stdout.buffer.write(out)
`

// TestRealServerCodecs stores json objects with each codec on versitygw and
// decodes them with independent implementations: Python's snappy module
// (python3-snappy, C++ libsnappy) for the snappy framing format, the zstd
// and gzip command-line tools for the others.
func TestRealServerCodecs(t *testing.T) {
	for _, tt := range []struct {
		comp, suffix string
		decode       func(t *testing.T, b []byte) []byte
	}{
		{CompressionSnappy, ".json.sz", func(t *testing.T, b []byte) []byte {
			py := python(t, "snappy")
			return runPython(t, py, snappyScript, b)
		}},
		{CompressionZstd, ".json.zst", func(t *testing.T, b []byte) []byte { return runTool(t, b, "zstd", "-dc") }},
		{CompressionGzip, ".json.gz", func(t *testing.T, b []byte) []byte { return runTool(t, b, "gzip", "-dc") }},
		{CompressionNone, ".json", func(_ *testing.T, b []byte) []byte { return b }},
	} {
		t.Run(tt.comp, func(t *testing.T) {
			srv := s3test.Start(t, "archive")
			c := realConfig(srv, "archive")
			c.Compression = tt.comp
			c.MaxObjectSize = "200KiB" // several objects, each several snappy chunks
			s := connect(t, c)
			evs := events(base, 0, 3000)
			if err := write(t, s, evs); err != nil {
				t.Fatal(err)
			}
			var got []string
			objs := objects(t, srv.Client(t), "archive")
			for key, b := range objs {
				if !strings.HasSuffix(key, tt.suffix) {
					t.Fatalf("key %q does not end in %s", key, tt.suffix)
				}
				got = append(got, lines(t, key, tt.decode(t, b))...)
			}
			if len(objs) < 2 {
				t.Errorf("%d objects; 200KiB should have rolled", len(objs))
			}
			sort.Strings(got)
			if diff := cmp.Diff(jsonLines(evs, false), got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}
