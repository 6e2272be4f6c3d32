package slsemu

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sls "github.com/aliyun/aliyun-log-go-sdk"
	"github.com/pierrec/lz4/v4"
)

// sdkCall is one HTTP request as another SDK sends it: method, resource
// path, raw query and headers taken from the Python SDK (aliyun/log/
// logclient.py, consumer_group_request.py) and the Java SDK (Client.java,
// request/*.java), signed with signature v1 as both do.
type sdkCall struct {
	name   string
	method string
	path   string
	query  string
	header map[string]string
	body   []byte
	// check inspects a 200 answer.
	check func(t *testing.T, h http.Header, body []byte)
}

// send signs and sends c to s as project testProject.
func (c sdkCall) send(t *testing.T, s *Server, hc *http.Client) (int, http.Header, []byte) {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: testProject + "." + s.Addr(), Path: c.path, RawQuery: c.query}
	req, err := http.NewRequest(c.method, u.String(), bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	h := req.Header
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("x-log-apiversion", "0.6.0")
	h.Set("x-log-signaturemethod", "hmac-sha1")
	h.Set("x-log-bodyrawsize", "0")
	for k, v := range c.header {
		h.Set(k, v)
	}
	md := ""
	if len(c.body) > 0 {
		md = fmt.Sprintf("%X", md5.Sum(c.body))
		h.Set("Content-MD5", md)
	}
	if _, ok := c.header["Accept-Encoding"]; ok && c.header["Accept-Encoding"] == "" {
		h["Accept-Encoding"] = []string{""} // the Python SDK's compress=False
	}
	h.Set("Authorization", "LOG "+testAK+":"+signV1(testSK, c.method, md, h.Get("Content-Type"), h.Get("Date"), h, req.URL))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func protoGroup(t *testing.T, gid int) []byte {
	t.Helper()
	raw, err := makeGroup(gid, 3).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func lz4Block(t *testing.T, raw []byte) []byte {
	t.Helper()
	out := make([]byte, lz4.CompressBlockBound(len(raw)))
	n, err := lz4.CompressBlock(raw, out, nil)
	if err != nil || n == 0 {
		t.Fatalf("lz4: %d, %v", n, err)
	}
	return out[:n]
}

func zlibBytes(raw []byte) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write(raw)
	zw.Close()
	return b.Bytes()
}

// pulled decodes a PullLogs answer by its headers, as the Python SDK does,
// and checks it holds want log groups.
func pulled(want int, compress string) func(t *testing.T, h http.Header, body []byte) {
	return func(t *testing.T, h http.Header, body []byte) {
		t.Helper()
		raw := body
		size := 0
		fmt.Sscan(h.Get("x-log-bodyrawsize"), &size)
		ct := h.Get("x-log-compresstype")
		if ct != compress {
			t.Fatalf("x-log-compresstype %q, want %q", ct, compress)
		}
		switch ct {
		case "lz4":
			raw = make([]byte, size)
			if n, err := lz4.UncompressBlock(body, raw); err != nil || n != size {
				t.Fatalf("lz4 answer: %d of %d bytes, %v", n, size, err)
			}
		case "deflate":
			zr, err := zlib.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		case "":
		default:
			t.Fatalf("compress type %q", ct)
		}
		if len(raw) != size {
			t.Fatalf("answer is %d bytes, x-log-bodyrawsize %d", len(raw), size)
		}
		var gl sls.LogGroupList
		if err := gl.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if len(gl.LogGroups) != want || h.Get("x-log-cursor") == "" || h.Get("x-log-count") != fmt.Sprint(want) {
			t.Fatalf("%d log groups (x-log-count %s), want %d", len(gl.LogGroups), h.Get("x-log-count"), want)
		}
	}
}

func jsonHas(keys ...string) func(t *testing.T, h http.Header, body []byte) {
	return func(t *testing.T, _ http.Header, body []byte) {
		t.Helper()
		for _, k := range keys {
			if !strings.Contains(string(body), `"`+k+`"`) {
				t.Fatalf("answer %s has no %q", body, k)
			}
		}
	}
}

// TestOtherSDKRequestShapes: every request shape the Python and Java SDKs
// send for put, pull, cursors, shards and consumer groups is accepted and
// answered in the shape they parse. Rows run in order on one logstore.
func TestOtherSDKRequestShapes(t *testing.T) {
	s := startServer(t, Options{})
	mustLogstore(t, s, 2)
	hc := s.HTTPClient()
	t.Cleanup(hc.CloseIdleConnections)
	// Go's transport would add "Accept-Encoding: gzip" next to the Python
	// SDK's empty one.
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("loopback transport is %T", hc.Transport)
	}
	tr = tr.Clone()
	tr.DisableCompression = true
	hc = &http.Client{Transport: tr}
	t.Cleanup(hc.CloseIdleConnections)
	ls := "/logstores/" + testLogstore
	raw := protoGroup(t, 1)
	rawSize := fmt.Sprint(len(raw))
	pb := map[string]string{"Content-Type": "application/x-protobuf", "x-log-bodyrawsize": rawSize}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	begin := EncodeCursor(0) // replaced once the first GetCursor answers
	cursorOf := func(t *testing.T, _ http.Header, body []byte) {
		var v struct {
			Cursor string `json:"cursor"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Cursor == "" {
			t.Fatalf("cursor answer %s: %v", body, err)
		}
		begin = v.Cursor
	}
	js := map[string]string{"Content-Type": "application/json"}
	calls := []sdkCall{
		// Puts: 4 groups, spread by the server (lb) or by hash key (route).
		{name: "python put_logs lb lz4", method: "POST", path: ls + "/shards/lb", header: with(pb, "x-log-compresstype", "lz4"), body: lz4Block(t, raw)},
		{name: "python put_logs lb deflate (no lz4 module)", method: "POST", path: ls + "/shards/lb", header: with(pb, "x-log-compresstype", "deflate"), body: zlibBytes(raw)},
		{name: "python put_log_raw lb uncompressed", method: "POST", path: ls + "/shards/lb", header: pb, body: raw},
		{name: "java PutLogs route?key lz4", method: "POST", path: ls + "/shards/route", query: "key=00000000000000000000000000000000", header: with(pb, "x-log-compresstype", "lz4"), body: lz4Block(t, raw)},
		{name: "python list_shards", method: "GET", path: ls + "/shards", header: js, check: jsonHas("shardID", "status", "inclusiveBeginKey", "exclusiveEndKey")},
		{name: "java ListShard", method: "GET", path: ls + "/shards", check: jsonHas("shardID")},
		{name: "python get_cursor begin", method: "GET", path: ls + "/shards/0", query: "type=cursor&from=begin", header: js, check: cursorOf},
		{name: "java GetCursor end", method: "GET", path: ls + "/shards/0", query: "from=end&type=cursor", check: jsonHas("cursor")},
		{name: "python get_cursor by time", method: "GET", path: ls + "/shards/1", query: "type=cursor&from=" + fmt.Sprint(time.Now().Add(-time.Hour).Unix()), header: js, check: jsonHas("cursor")},
	}
	for _, c := range calls {
		runCall(t, s, hc, c)
	}
	// Shard 0 got the lb puts 1 and 3 (round-robin) and the hash-key put.
	pulls := []func() sdkCall{
		func() sdkCall {
			return sdkCall{name: "python get_cursor_time", method: "GET", path: ls + "/shards/0", query: "type=cursor_time&cursor=" + url.QueryEscape(begin), header: js, check: jsonHas("cursor_time")}
		},
		func() sdkCall {
			return sdkCall{name: "python pull_logs lz4", method: "GET", path: ls + "/shards/0", query: "type=log&cursor=" + url.QueryEscape(begin) + "&count=1000",
				header: map[string]string{"Accept-Encoding": "lz4", "Accept": "application/x-protobuf"}, check: pulled(3, "lz4")}
		},
		func() sdkCall {
			return sdkCall{name: "python pull_logs gzip (no lz4 module)", method: "GET", path: ls + "/shards/0", query: "type=log&cursor=" + url.QueryEscape(begin) + "&count=1000",
				header: map[string]string{"Accept-Encoding": "gzip", "Accept": "application/x-protobuf"}, check: pulled(3, "deflate")}
		},
		func() sdkCall {
			return sdkCall{name: "python pull_logs compress=False", method: "GET", path: ls + "/shards/0", query: "type=log&cursor=" + url.QueryEscape(begin) + "&count=2",
				header: map[string]string{"Accept-Encoding": "", "Accept": "application/x-protobuf"}, check: pulled(2, "")}
		},
		func() sdkCall {
			return sdkCall{name: "python pull_logs SPL", method: "GET", path: ls + "/shards/0",
				query:  "type=log&cursor=" + url.QueryEscape(begin) + "&count=1000&pullMode=scan_on_stream&query=" + url.QueryEscape("* | where eventName = 'CreateUser'"),
				header: map[string]string{"Accept-Encoding": "lz4"}, check: pulled(3, "lz4")}
		},
		func() sdkCall {
			return sdkCall{name: "java BatchGetLog with end_cursor", method: "GET", path: ls + "/shards/0",
				query:  "type=log&count=1000&cursor=" + url.QueryEscape(begin) + "&end_cursor=" + url.QueryEscape(nextCursor(begin, 1)),
				header: map[string]string{"Accept-Encoding": "lz4"}, check: pulled(1, "lz4")}
		},
	}
	for _, c := range pulls {
		runCall(t, s, hc, c())
	}
	groups := []sdkCall{
		{name: "python create_consumer_group", method: "POST", path: ls + "/consumergroups", header: js, body: []byte(`{"consumerGroup": "py", "timeout": 20, "order": false}`)},
		{name: "python list_consumer_group", method: "GET", path: ls + "/consumergroups", check: jsonHas("name", "timeout", "order")},
		{name: "python update_consumer_group", method: "PUT", path: ls + "/consumergroups/py", header: js, body: []byte(`{"order": false, "timeout": 30}`)},
		{name: "python heartbeat", method: "POST", path: ls + "/consumergroups/py", query: "type=heartbeat&consumer=c1", header: js, body: []byte(`[]`),
			check: func(t *testing.T, _ http.Header, body []byte) {
				var shards []int
				if err := json.Unmarshal(body, &shards); err != nil || len(shards) != 2 {
					t.Fatalf("heartbeat answer %s: %v", body, err)
				}
			}},
		{name: "python update_check_point forceSuccess=True", method: "POST", path: ls + "/consumergroups/py", query: "type=checkpoint&consumer=c1&forceSuccess=True", header: js,
			body: []byte(fmt.Sprintf(`{"shard": 0, "checkpoint": %q}`, EncodeCursor(1)))},
		{name: "java UpdateCheckPoint forceSuccess=false by the holder", method: "POST", path: ls + "/consumergroups/py", query: "consumer=c1&forceSuccess=false&type=checkpoint", header: js,
			body: []byte(fmt.Sprintf(`{"shard":1,"checkpoint":%q}`, EncodeCursor(2)))},
		{name: "python get_check_point shard=0", method: "GET", path: ls + "/consumergroups/py", query: "shard=0", check: func(t *testing.T, _ http.Header, body []byte) {
			var cps []struct {
				Shard      int    `json:"shard"`
				Checkpoint string `json:"checkpoint"`
			}
			if err := json.Unmarshal(body, &cps); err != nil || len(cps) != 1 || cps[0].Checkpoint != EncodeCursor(1) {
				t.Fatalf("checkpoint answer %s: %v", body, err)
			}
		}},
		{name: "java GetCheckPoint all shards", method: "GET", path: ls + "/consumergroups/py", check: jsonHas("shard", "checkpoint", "updateTime", "consumer")},
		{name: "python split_shard", method: "POST", path: ls + "/shards/1", query: "action=split&key=c0000000000000000000000000000000", check: jsonHas("shardID", "readonly")},
		{name: "python delete_consumer_group", method: "DELETE", path: ls + "/consumergroups/py"},
	}
	for _, c := range groups {
		runCall(t, s, hc, c)
	}
	if n := s.RequestCount(APIPutLogs); n != 4 {
		t.Errorf("%d puts counted, want 4", n)
	}
}

func runCall(t *testing.T, s *Server, hc *http.Client, c sdkCall) {
	t.Run(c.name, func(t *testing.T) {
		status, h, body := c.send(t, s, hc)
		if status != http.StatusOK {
			t.Fatalf("HTTP %d: %s", status, body)
		}
		if c.check != nil {
			c.check(t, h, body)
		}
	})
}

func nextCursor(c string, n int64) string {
	v, _ := DecodeCursor(c)
	return EncodeCursor(v + n)
}
