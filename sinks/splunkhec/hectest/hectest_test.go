package hectest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const channelA = "aaaaaaaa-0000-4000-8000-000000000001"

type result struct {
	status int
	body   map[string]any
}

func do(t *testing.T, srv *Server, method, path, body string, hdr map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode}
	_ = json.Unmarshal(data, &r.body)
	return r
}

func auth(tok string) map[string]string {
	return map[string]string{"Authorization": "Splunk " + tok}
}

func num(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// TestEnvelope checks the server's envelope validation and partial-batch
// semantics: objects before a bad one are indexed.
func TestEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		status  int
		code    int
		invalid int // -1: no invalid-event-number
		indexed int
	}{
		{"one", `{"event":"x"}`, 200, 0, -1, 1},
		{"concatenated", `{"event":"a"}{"event":{"k":1}}` + "\n" + `{"event":[1]}`, 200, 0, -1, 3},
		{"time number", `{"time":1795939202.123,"event":"x"}`, 200, 0, -1, 1},
		{"time string", `{"time":"1795939202.5","event":"x"}`, 200, 0, -1, 1},
		{"time bad", `{"time":"yesterday","event":"x"}`, 400, 6, 0, 0},
		{"time bool", `{"event":"a"}{"time":true,"event":"x"}`, 400, 6, 1, 1},
		{"event missing", `{"event":"a"}{"event":"b"}{"host":"h"}`, 400, 12, 2, 2},
		{"fields only skipped", `{"fields":{"a":"b"}}{"event":"b"}`, 200, 0, -1, 1},
		{"event blank", `{"event":"a"}{"event":"  "}`, 400, 13, 1, 1},
		{"event empty string", `{"event":""}`, 400, 13, 0, 0},
		{"event null", `{"event":null}`, 400, 6, 0, 0},
		{"event false", `{"event":false}`, 400, 6, 0, 0},
		{"event zero and empty object", `{"event":0}{"event":{}}{"event":[]}`, 200, 0, -1, 3},
		{"fields nested", `{"event":"a"}{"event":"b","fields":{"a":{"b":"c"}}}`, 400, 15, 1, 1},
		{"fields number", `{"event":"b","fields":{"a":1}}`, 400, 15, 0, 0},
		{"fields array of strings", `{"event":"b","fields":{"a":["x","y"]}}`, 200, 0, -1, 1},
		{"fields array of numbers", `{"event":"b","fields":{"a":[1]}}`, 400, 15, 0, 0},
		{"host not string", `{"event":"b","host":null}`, 400, 6, 0, 0},
		{"unknown key", `{"event":"b","colour":"red"}`, 400, 6, 0, 0},
		{"syntax", `{"event":"a"}{"event":`, 400, 6, 1, 1},
		{"array body", `[{"event":"a"}]`, 400, 6, 0, 0},
		{"empty", ``, 400, 5, -1, 0},
		{"index refused", `{"event":"a","index":"main"}{"event":"b","index":"secret"}`, 400, 7, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := New(t, Config{Tokens: []Token{{Value: DefaultToken, Indexes: []string{"main"}}}})
			r := do(t, srv, "POST", "/services/collector/event", tc.body, auth(DefaultToken))
			if r.status != tc.status || num(r.body["code"]) != tc.code {
				t.Fatalf("reply %d %v, want %d code %d", r.status, r.body, tc.status, tc.code)
			}
			if got := num(r.body["invalid-event-number"]); got != tc.invalid {
				t.Errorf("invalid-event-number %d, want %d", got, tc.invalid)
			}
			if got := srv.EventCount(); got != tc.indexed {
				t.Errorf("indexed %d, want %d", got, tc.indexed)
			}
		})
	}
}

func TestRecordedEvent(t *testing.T) {
	srv := New(t, Config{})
	h := auth(DefaultToken)
	h["X-Splunk-Request-Channel"] = channelA
	body := `{"time":1795939202123,"host":"h","source":"s","sourcetype":"st","index":"i","fields":{"f":"v","g":["a","b"]},"event":{"k":"v"}}`
	if r := do(t, srv, "POST", "/services/collector", body, h); r.status != 200 {
		t.Fatalf("reply %d %v", r.status, r.body)
	}
	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.Channel != channelA || e.Host != "h" || e.Source != "s" || e.Sourcetype != "st" || e.Index != "i" ||
		!e.HasTime || e.Time != 1795939202.123 || e.TimeText != "1795939202123" || string(e.Event) != `{"k":"v"}` ||
		e.Fields["f"] != "v" || len(e.Fields["g"].([]string)) != 2 {
		t.Fatalf("recorded %+v", e)
	}
}

func TestAuth(t *testing.T) {
	srv := New(t, Config{Tokens: []Token{{Value: DefaultToken}, {Value: "off", Disabled: true}}})
	for _, tc := range []struct {
		name   string
		path   string
		hdr    map[string]string
		status int
		code   int
	}{
		{"ok", "/services/collector/event", auth(DefaultToken), 200, 0},
		{"basic", "/services/collector/event", map[string]string{"Authorization": "Basic eDoxMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTU="}, 200, 0},
		{"missing", "/services/collector/event", nil, 401, 2},
		{"no prefix", "/services/collector/event", map[string]string{"Authorization": DefaultToken}, 401, 3},
		{"unknown", "/services/collector/event", auth("nope"), 403, 4},
		{"disabled", "/services/collector/event", auth("off"), 403, 1},
		{"query string", "/services/collector/event?token=" + DefaultToken, nil, 400, 16},
		{"health without token", "/services/collector/health", nil, 200, 17},
		{"health bad query token", "/services/collector/health?token=nope", nil, 400, 21},
		{"health disabled query token", "/services/collector/health?token=off", nil, 400, 22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if strings.Contains(tc.path, "health") {
				method = "GET"
			}
			r := do(t, srv, method, tc.path, `{"event":"x"}`, tc.hdr)
			if r.status != tc.status || num(r.body["code"]) != tc.code {
				t.Fatalf("reply %d %v, want %d code %d", r.status, r.body, tc.status, tc.code)
			}
			if tc.code != 0 && tc.code != 17 && r.body["text"] != Codes[tc.code].Text {
				t.Errorf("text %v, want %q", r.body["text"], Codes[tc.code].Text)
			}
		})
	}
}

func TestEncodingAndSize(t *testing.T) {
	srv := New(t, Config{MaxContentLength: 100})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(strings.Repeat(`{"event":"aaaaaaaaaaaaaaaaaaaa"}`, 20))) // 640 bytes, compresses below 100
	_ = zw.Close()
	h := auth(DefaultToken)
	h["Content-Encoding"] = "gzip"
	if r := do(t, srv, "POST", "/services/collector/event", gz.String(), h); r.status != 200 {
		t.Fatalf("gzip: %d %v", r.status, r.body)
	}
	if srv.EventCount() != 20 {
		t.Fatalf("gzip: indexed %d, want 20", srv.EventCount())
	}
	h["Content-Encoding"] = "deflate"
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 415 {
		t.Fatalf("deflate: %d, want 415", r.status)
	}
	if r := do(t, srv, "POST", "/services/collector/event", strings.Repeat(`{"event":"x"}`, 10), auth(DefaultToken)); r.status != 413 {
		t.Fatalf("130 bytes over a 100 limit: %d, want 413", r.status)
	}
	if srv.EventCount() != 20 {
		t.Fatalf("refused requests indexed events: %d", srv.EventCount())
	}
}

func TestRaw(t *testing.T) {
	srv := New(t, Config{})
	h := auth(DefaultToken)
	r := do(t, srv, "POST", "/services/collector/raw?index=main&sourcetype=st", "line one\n\nline two\r\n", h)
	if r.status != 200 {
		t.Fatalf("raw: %d %v", r.status, r.body)
	}
	evs := srv.Events()
	if len(evs) != 2 || string(evs[0].Event) != "line one" || string(evs[1].Event) != "line two" || !evs[1].Raw || evs[1].Index != "main" || evs[1].Sourcetype != "st" {
		t.Fatalf("raw events %+v", evs)
	}
}

// TestAck checks channels and indexer acknowledgement: ids per channel from
// 0, true once then forgotten, false on another channel.
func TestAck(t *testing.T) {
	srv := New(t, Config{Tokens: []Token{{Value: DefaultToken, UseACK: true}, {Value: "noack"}}})
	h := auth(DefaultToken)
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 400 || num(r.body["code"]) != 10 {
		t.Fatalf("no channel: %d %v, want 400 code 10", r.status, r.body)
	}
	h["X-Splunk-Request-Channel"] = "bad"
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 400 || num(r.body["code"]) != 11 {
		t.Fatalf("bad channel: %d %v, want 400 code 11", r.status, r.body)
	}
	h["X-Splunk-Request-Channel"] = channelA
	for want := range 3 {
		r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h)
		if r.status != 200 || num(r.body["ackId"]) != want {
			t.Fatalf("post %d: %d %v, want ackId %d", want, r.status, r.body, want)
		}
	}
	other := map[string]string{"Authorization": "Splunk " + DefaultToken}
	if r := do(t, srv, "POST", "/services/collector/ack?channel=bbbbbbbb-0000-4000-8000-000000000002", `{"acks":[0]}`, other); r.body["acks"].(map[string]any)["0"] != false {
		t.Fatalf("another channel: %v, want false", r.body)
	}
	srv.HoldAcks(true)
	if r := do(t, srv, "POST", "/services/collector/ack", `{"acks":[0,1]}`, h); r.body["acks"].(map[string]any)["0"] != false {
		t.Fatalf("held: %v, want false", r.body)
	}
	srv.HoldAcks(false)
	r := do(t, srv, "POST", "/services/collector/ack", `{"acks":[0,1,7]}`, h)
	acks := r.body["acks"].(map[string]any)
	if acks["0"] != true || acks["1"] != true || acks["7"] != false {
		t.Fatalf("acks %v", r.body)
	}
	r = do(t, srv, "POST", "/services/collector/ack", `{"acks":[0,2]}`, h)
	if acks := r.body["acks"].(map[string]any); acks["0"] != false || acks["2"] != true {
		t.Fatalf("after true, id 0 must be forgotten: %v", r.body)
	}
	if n := srv.PendingAcks(channelA); n != 0 {
		t.Fatalf("%d pending", n)
	}
	if r := do(t, srv, "POST", "/services/collector/ack", `{"acks":[0]}`, map[string]string{"Authorization": "Splunk noack", "X-Splunk-Request-Channel": channelA}); r.status != 400 || num(r.body["code"]) != 14 {
		t.Fatalf("ack without useACK: %d %v, want 400 code 14", r.status, r.body)
	}
}

func TestFaultsAndRouting(t *testing.T) {
	srv := New(t, Config{})
	h := auth(DefaultToken)
	for code := range Codes {
		srv.Inject(1, Fault{Code: code})
		r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h)
		if r.status != Codes[code].Status || num(r.body["code"]) != code {
			t.Errorf("code %d: %d %v, want %d", code, r.status, r.body, Codes[code].Status)
		}
	}
	srv.Inject(1, Fault{Status: 429})
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 429 {
		t.Errorf("429 fault: %d", r.status)
	}
	srv.SetBusy(true)
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 503 || num(r.body["code"]) != 9 {
		t.Errorf("busy: %d %v", r.status, r.body)
	}
	if r := do(t, srv, "GET", "/services/collector/health", "", nil); r.status != 503 || num(r.body["code"]) != 18 {
		t.Errorf("busy health: %d %v", r.status, r.body)
	}
	srv.SetBusy(false)
	before := srv.EventCount()
	srv.Inject(1, Fault{Code: 8, AfterIndex: true})
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 500 {
		t.Errorf("after-index fault: %d", r.status)
	}
	if srv.EventCount() != before+1 {
		t.Errorf("AfterIndex did not index")
	}
	srv.Inject(1, Fault{Delay: 50 * time.Millisecond})
	start := time.Now()
	if r := do(t, srv, "POST", "/services/collector/event", `{"event":"x"}`, h); r.status != 200 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("stall: %d after %s", r.status, time.Since(start))
	}
	srv.Inject(1, Fault{Reset: true})
	req, _ := http.NewRequest("POST", srv.URL()+"/services/collector/event", strings.NewReader(`{"event":"x"}`))
	req.Header.Set("Authorization", "Splunk "+DefaultToken)
	if resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("reset: got a reply %d", resp.StatusCode)
	}
	if r := do(t, srv, "POST", "/nope", "", nil); r.status != 404 {
		t.Errorf("unknown path: %d", r.status)
	}
	if r := do(t, srv, "GET", "/services/collector/event", "", h); r.status != 405 {
		t.Errorf("GET event: %d", r.status)
	}
	if r := do(t, srv, "OPTIONS", "/services/collector/event", "", nil); r.status != 200 {
		t.Errorf("OPTIONS: %d", r.status)
	}
	if srv.Requests() < 30 || srv.Connections() < 30 {
		t.Errorf("counted %d requests, %d connections", srv.Requests(), srv.Connections())
	}
}
