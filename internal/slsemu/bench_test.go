package slsemu

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
)

// discardWriter is a ResponseWriter that keeps only headers and a count.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// rawLogBytes sums the keys and values of a group's contents.
func rawLogBytes(lg *sls.LogGroup) int64 {
	var n int64
	for _, l := range lg.Logs {
		for _, c := range l.Contents {
			n += int64(len(c.GetKey()) + len(c.GetValue()))
		}
	}
	return n
}

// signedPull builds a PullLogs request signed by the SDK's v1 signer.
func signedPull(b *testing.B, host string, cursor string, count int, acceptEncoding string) *http.Request {
	uri := fmt.Sprintf("/logstores/%s/shards/0?%s", testLogstore, url.Values{
		"type": {"logs"}, "cursor": {cursor}, "count": {strconv.Itoa(count)},
	}.Encode())
	h := map[string]string{
		"x-log-bodyrawsize": "0", "Accept": "application/x-protobuf", "Accept-Encoding": acceptEncoding,
		"x-log-apiversion": "0.6.0", "Date": time.Now().UTC().Format(http.TimeFormat),
	}
	if err := sls.NewSignerV1(testAK, testSK).Sign("GET", uri, h, nil); err != nil {
		b.Fatal(err)
	}
	r, err := http.NewRequest("GET", "http://"+testProject+"."+host+uri, nil)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

// BenchmarkPullLogs measures PullLogs serving in raw log bytes (keys +
// values) per second: "handler" calls ServeHTTP directly (signature check,
// range lookup, splicing the pre-compressed blocks); "http" adds loopback
// HTTP with a plain client that reads the compressed body without decoding
// it. Run with -cpu 1.
func BenchmarkPullLogs(b *testing.B) {
	s := startServer(b, Options{})
	mustLogstore(b, s, 1)
	const groups, perGroup = 500, 100 // ~12 MB raw, under MaxPullBytes
	var raw int64
	for g := 0; g < groups; g++ {
		lg := makeGroup(g, perGroup)
		raw += rawLogBytes(lg)
		if _, err := s.AppendLogGroupToShard(testProject, testLogstore, 0, lg); err != nil {
			b.Fatal(err)
		}
	}
	begin := EncodeCursor(s.mustShard(b, 0).beginCursor())
	for _, enc := range []string{"lz4", "zstd"} {
		b.Run("handler/"+enc, func(b *testing.B) {
			req := signedPull(b, s.Addr(), begin, groups, enc)
			w := &discardWriter{h: http.Header{}}
			s.ServeHTTP(w, req) // warm the zstd cache
			if w.status != http.StatusOK || w.h.Get("x-log-count") != strconv.Itoa(groups) {
				b.Fatalf("status %d count %s", w.status, w.h.Get("x-log-count"))
			}
			b.SetBytes(raw)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.n = 0
				s.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(raw)/float64(w.n), "ratio")
		})
		b.Run("http/"+enc, func(b *testing.B) {
			hc := s.HTTPClient()
			defer hc.CloseIdleConnections()
			req := signedPull(b, s.Addr(), begin, groups, enc)
			b.SetBytes(raw)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("x-log-count") != strconv.Itoa(groups) {
					b.Fatalf("status %d count %s", resp.StatusCode, resp.Header.Get("x-log-count"))
				}
			}
		})
	}
}

// mustShard returns a shard of the test logstore.
func (s *Server) mustShard(tb testing.TB, id int) *shard {
	tb.Helper()
	ls, e := s.lookup(testProject, testLogstore)
	if e != nil {
		tb.Fatal(e)
	}
	ls.mu.RLock()
	defer ls.mu.RUnlock()
	return ls.shard(id)
}
