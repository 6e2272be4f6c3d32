package slsemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// newFuzzServer is an unstarted, auth-off emulator with one logstore, some
// data and a consumer group; ServeHTTP needs no listener.
func newFuzzServer(tb testing.TB) (*Server, string) {
	s := New(Options{Logger: quietLogger(), MaxBodyBytes: 1 << 20})
	tb.Cleanup(func() { _ = s.Close() })
	if err := s.CreateLogstore("proj", "audit", LogstoreConfig{Shards: 2}); err != nil {
		tb.Fatal(err)
	}
	for g := 0; g < 4; g++ {
		if _, err := s.AppendLogGroup("proj", "audit", makeGroup(g, 3)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.CreateConsumerGroup("proj", "audit", "cg", 60, false); err != nil {
		tb.Fatal(err)
	}
	ls, _ := s.lookup("proj", "audit")
	return s, url.QueryEscape(EncodeCursor(ls.shard(0).beginCursor()))
}

// FuzzServeHTTP feeds arbitrary requests through the SLS and admin
// decoders. Every answer must be 200 or SLS's JSON error, never a panic.
// "BEGIN" in the target is replaced by shard 0's begin cursor.
func FuzzServeHTTP(f *testing.F) {
	f.Add("GET", "/logstores/audit/shards/0?type=logs&cursor=BEGIN&count=10", "", 0, []byte(nil))
	s, begin := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, method, target, compress string, rawSize int, body []byte) {
		target = strings.ReplaceAll(target, "BEGIN", begin)
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		// Keep the fuzzer from injecting faults that would slow it down.
		if strings.HasPrefix(u.Path, "/_emu/faults") {
			return
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method, req.URL, req.RequestURI = method, u, target
		req.Host = "proj.emulator.test"
		req.Header.Set("x-log-bodyrawsize", strconv.Itoa(rawSize))
		if compress != "" {
			req.Header.Set("x-log-compresstype", compress)
		}
		req.Header.Set("Accept-Encoding", []string{"lz4", "zstd"}[len(body)%2])
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Header().Get("x-log-requestid") == "" {
			t.Fatal("no x-log-requestid")
		}
		if w.Code == http.StatusOK {
			return
		}
		var e Error
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
			t.Fatalf("status %d with a non-SLS error body %q", w.Code, w.Body.Bytes())
		}
	})
}

// FuzzParseSPL checks the SPL parser never panics and that accepted queries
// evaluate.
func FuzzParseSPL(f *testing.F) {
	f.Add("* | where a = 'b'")
	f.Add(`* | where __topic__ = 'x' and ("f" is null or "f" not like '%a_') or g in ('a', null)`)
	f.Add(`* | where json_extract_scalar("event", '$.a[0].b') = 'x' or ("event" is not null and json_extract("event", '$') is null);`)
	f.Add("* | where true | where not false")
	lg := makeGroup(1, 2)
	f.Fuzz(func(t *testing.T, q string) {
		sq, err := parseSPL(q)
		if err != nil {
			return
		}
		raw, _ := lg.Marshal()
		if _, _, err := sq.apply(raw); err != nil {
			t.Fatalf("apply: %v", err)
		}
	})
}

// FuzzLZ4Chunk checks that any bytes survive ingest compression and splicing
// between other chunks.
func FuzzLZ4Chunk(f *testing.F) {
	f.Add([]byte("hello hello hello hello hello"))
	other := bytes.Repeat([]byte("abcdefgh"), 40)
	f.Fuzz(func(t *testing.T, b []byte) {
		var sp lz4Splicer
		want := append(append(append([]byte{}, other...), b...), other...)
		for _, part := range [][]byte{other, b, other} {
			c := newLZ4Chunk(part)
			sp.add(&c)
		}
		block := sp.finish()
		got := make([]byte, len(want))
		n, err := lz4.UncompressBlock(block, got)
		if err != nil || n != len(want) || !bytes.Equal(got, want) {
			t.Fatalf("splice of %d bytes decodes to %d (%v)", len(b), n, err)
		}
		if _, err := parseLZ4Block(b); err != nil {
			return // garbage is rejected, not a panic
		}
	})
}
