package objectstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/sinks"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testBucket = "archive"

// fake is an in-process S3 store (gofakes3) that can be told to fail PUTs.
type fake struct {
	URL      string
	failPuts atomic.Bool
	puts     atomic.Int64
}

func newFake(t testing.TB) *fake {
	t.Helper()
	be := s3mem.New()
	if err := be.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(be, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	f := &fake{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			if f.failPuts.Load() {
				http.Error(w, "<Error><Code>InternalError</Code></Error>", http.StatusInternalServerError)
				return
			}
			f.puts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// testConfig is a json config for endpoint with short timers.
func testConfig(endpoint string) *Config {
	c := NewConfig()
	c.Endpoint = endpoint
	c.Bucket = testBucket
	c.PathStyle = true
	c.AccessKeyID, c.AccessKeySecret = "test-key-id", "test-key-secret"
	c.FlushIdle = "50ms"
	c.Timeout = "30s"
	return c
}

// connect builds and connects a sink, closing it when the test ends.
func connect(t testing.TB, c *Config) *Sink {
	t.Helper()
	s, err := New(c, sinks.Settings{Name: "object_store.test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return s
}

// write calls WriteBatch with a deadline.
func write(t testing.TB, s *Sink, evs []*event.Event) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.WriteBatch(ctx, evs)
}

// client returns a minio client for reading the bucket back.
func client(t testing.TB, endpoint, id, key string) *minio.Client {
	t.Helper()
	host := strings.TrimPrefix(endpoint, "http://")
	c, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(id, key, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// objects reads every object of the bucket: key → bytes as stored.
func objects(t testing.TB, c *minio.Client, bucket string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	for info := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if info.Err != nil {
			t.Fatalf("list: %v", info.Err)
		}
		o, err := c.GetObject(ctx, bucket, info.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		_ = o.Close()
		if err != nil {
			t.Fatalf("read %s: %v", info.Key, err)
		}
		if int64(len(b)) != info.Size {
			t.Fatalf("%s: read %d bytes, listed %d", info.Key, len(b), info.Size)
		}
		out[info.Key] = b
	}
	return out
}

// decompress undoes the codec named by the key's extension.
func decompress(t testing.TB, key string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch {
	case strings.HasSuffix(key, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		r = zr
	case strings.HasSuffix(key, ".zst"):
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(key, ".sz"):
		r = snappy.NewReader(bytes.NewReader(b))
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: decompress: %v", key, err)
	}
	return out
}

// lines splits NDJSON into its lines and checks each is a JSON object.
func lines(t testing.TB, key string, b []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: line %q is not JSON: %v", key, sc.Text(), err)
		}
		out = append(out, sc.Text())
	}
	return out
}

var base = time.Date(2026, 12, 1, 20, 15, 0, 0, time.UTC)

// events makes n audit-like events, one second apart from start, each with a
// unique seq and values that need quoting in CSV.
func events(start time.Time, from, n int) []*event.Event {
	out := make([]*event.Event, n)
	for i := range out {
		seq := from + i
		out[i] = &event.Event{
			Time: start.Add(time.Duration(seq) * time.Second), Topic: "actiontrail_audit_event", Source: "10.0.0.7",
			Tags: []event.Tag{{Key: "__receive_time__", Value: fmt.Sprint(1764620100 + seq)}},
			Fields: []event.Field{
				{Key: "seq", Value: event.String(fmt.Sprint(seq))},
				{Key: "user", Value: event.String(fmt.Sprintf("alice-%d, \"ops\"", seq%7))},
				{Key: "event", Value: event.RawJSON(fmt.Sprintf(`{"eventName":"CreateUser","n":%d}`, seq))},
				{Key: "note", Value: event.String("line1\nline2 ✓")},
			},
		}
	}
	return out
}

// jsonLines is what the json format writes for evs, sorted.
func jsonLines(evs []*event.Event, meta bool) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(event.AppendJSON(nil, ev, meta))
	}
	sort.Strings(out)
	return out
}

func sinksSettings() sinks.Settings { return sinks.Settings{Name: "object_store.test"} }

var errNotConnected = sinks.ErrNotConnected

// python returns a Python 3 that imports module (Debian's /usr/bin/python3
// first: python3-snappy installs there). Missing, it fails the test when
// CI=true and skips it otherwise.
func python(t testing.TB, module string) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import "+module).Run() == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no python3 with module %s: apt-get install -y python3 python3-snappy", module)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// runPython runs script with stdin and returns its standard output.
func runPython(t testing.TB, py, script string, stdin []byte) []byte {
	t.Helper()
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	return out
}

// runTool runs a command-line decoder on stdin; missing, it fails when
// CI=true and skips otherwise.
func runTool(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		msg := name + " not found: apt-get install -y " + name
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, stderr.String())
	}
	return out
}
