package splunkhec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sinks/splunkhec/hectest"
)

// TestWriteBatchIndexes sends a batch with and without gzip, on the event
// and the raw endpoint, and checks exactly what HEC indexed.
func TestWriteBatchIndexes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression string
		raw         bool
	}{
		{"event/none", CompressionNone, false},
		{"event/gzip", CompressionGzip, false},
		{"raw/none", CompressionNone, true},
		{"raw/gzip", CompressionGzip, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hectest.New(t, hectest.Config{})
			c := testConfig(srv)
			c.Compression = tc.compression
			c.Index, c.Sourcetype, c.Source = "alicloud", "alicloud:actiontrail", "sls:actiontrail"
			if tc.raw {
				c.EndpointType = EndpointRaw
			} else {
				c.Fields = []string{"user", "__topic__", "__tag__:__receive_time__", "missing"}
			}
			s := connect(t, c, nil)
			evs := auditEvents(0, 20)
			evs[3].SetMeta(event.MetaIndex, "other")
			evs[3].SetMeta(event.MetaHost, "override-host")
			evs[4].SetMeta(event.MetaSourcetype, "st:meta")
			if err := s.WriteBatch(context.Background(), evs); err != nil {
				t.Fatalf("WriteBatch: %v", err)
			}
			got := srv.Events()
			if len(got) != len(evs) {
				t.Fatalf("indexed %d events, want %d", len(got), len(evs))
			}
			if h := srv.LastHeaders(); (h.Get("Content-Encoding") == "gzip") != (tc.compression == CompressionGzip) {
				t.Errorf("Content-Encoding = %q with compression %s", h.Get("Content-Encoding"), tc.compression)
			}
			for i, g := range got {
				g.Event = nil
				want := hectest.Event{Channel: s.Channel(), Raw: tc.raw, Index: "alicloud", Sourcetype: "alicloud:actiontrail", Source: "sls:actiontrail"}
				if tc.raw {
					var flat map[string]any
					if err := json.Unmarshal(got[i].Event, &flat); err != nil {
						t.Fatalf("raw line %d: %v", i, err)
					}
					if flat["__topic__"] != "actiontrail_audit_event" || flat["seq"] != fmt.Sprint(i) || flat["__time__"] != evs[i].Time.UTC().Format(time.RFC3339Nano) {
						t.Errorf("raw line %d = %s", i, got[i].Event)
					}
					if _, ok := flat["event"].(map[string]any); !ok {
						t.Errorf("raw line %d: event is not an object: %s", i, got[i].Event)
					}
				} else {
					// No host: the SLS __source__ is not a default.
					want.HasTime = true
					want.Time = float64(evs[i].Time.UnixMilli()) / 1e3
					want.TimeText = fmt.Sprintf("1795939202.%03d", i)
					if i == 0 {
						want.TimeText = "1795939202"
					}
					want.Fields = map[string]any{"user": "ci-deployer", "__topic__": "actiontrail_audit_event", "__tag__:__receive_time__": "1795939202"}
					switch i {
					case 3:
						want.Index, want.Host = "other", "override-host"
					case 4:
						want.Sourcetype = "st:meta"
					}
					if d := cmp.Diff(wantBody(t, evs[i]), bodyOf(t, got[i])); d != "" {
						t.Errorf("event %d body (-want +got):\n%s", i, d)
					}
				}
				if d := cmp.Diff(want, g); d != "" {
					t.Errorf("event %d (-want +got):\n%s", i, d)
				}
			}
		})
	}
}

// wantBody is the expected `event` body, built with encoding/json as an
// independent oracle: content fields, KindJSON decoded.
func wantBody(t testing.TB, e *event.Event) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, f := range e.Fields {
		switch f.Value.Kind() {
		case event.KindJSON:
			var v any
			if err := json.Unmarshal([]byte(f.Value.Str()), &v); err != nil {
				t.Fatal(err)
			}
			m[f.Key] = v
		case event.KindAny:
			b, err := json.Marshal(f.Value.Interface())
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			m[f.Key] = v
		default:
			m[f.Key] = f.Value.Str()
		}
	}
	return m
}

func TestWriteBatchEmptyAndNotConnected(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	s, err := New(testConfig(srv), sinks.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(context.Background(), auditEvents(0, 1)); !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("WriteBatch before Connect = %v, want ErrNotConnected", err)
	}
	for range 2 {
		if err := s.Close(context.Background()); err != nil {
			t.Fatalf("Close without Connect: %v", err)
		}
	}
	if srv.Requests() != 0 {
		t.Fatalf("New/Close did I/O: %d requests", srv.Requests())
	}
	s = connect(t, testConfig(srv), nil)
	if err := s.WriteBatch(context.Background(), nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	if srv.Posts() != 0 {
		t.Fatalf("empty batch posted %d requests", srv.Posts())
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(context.Background(), auditEvents(0, 1)); !errors.Is(err, sinks.ErrNotConnected) {
		t.Fatalf("WriteBatch after Close = %v, want ErrNotConnected", err)
	}
}

// outcome classes of a WriteBatch.
const (
	allOK     = "ok"
	plainErr  = "error"     // engine retries the whole batch
	rejectAll = "rejectAll" // *BatchError, every event rejected
)

func classify(t *testing.T, err error, n int) (string, *sinks.BatchError) {
	t.Helper()
	var be *sinks.BatchError
	switch {
	case err == nil:
		return allOK, nil
	case errors.As(err, &be):
		if len(be.Results) != n {
			t.Fatalf("BatchError has %d results for %d events", len(be.Results), n)
		}
		for _, r := range be.Results {
			if r.Outcome != sinks.Reject {
				return "partial", be
			}
		}
		return rejectAll, be
	default:
		return plainErr, nil
	}
}

// TestReplyCodes injects every HEC code and other statuses and checks how
// each maps to outcomes, as the package documentation says.
func TestReplyCodes(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	s := connect(t, testConfig(srv), nil)
	want := map[int]string{
		0: allOK, 17: allOK, // 200
		1: plainErr, 2: plainErr, 3: plainErr, 4: plainErr, // token: engine backs off, never drops
		5: rejectAll, 6: rejectAll, 7: rejectAll, 12: rejectAll, 13: rejectAll, 15: rejectAll, // the data
		8: plainErr, 9: plainErr, 18: plainErr, 19: plainErr, 20: plainErr, // 5xx
		10: plainErr, 11: plainErr, 14: plainErr, 16: plainErr, 21: plainErr, 22: plainErr, // configuration
	}
	for code := range hectest.Codes {
		t.Run(fmt.Sprintf("code%d", code), func(t *testing.T) {
			srv.Inject(1, hectest.Fault{Code: code})
			before := srv.Posts()
			err := s.WriteBatch(context.Background(), auditEvents(0, 3))
			got, be := classify(t, err, 3)
			if got != want[code] {
				t.Fatalf("code %d: outcome %s (%v), want %s", code, got, err, want[code])
			}
			if n := srv.Posts() - before; n != 1 {
				t.Errorf("code %d: %d requests, want 1 (no retries inside the sink)", code, n)
			}
			text := fmt.Sprintf("code %d", code)
			switch got {
			case plainErr:
				var re *ReplyError
				if !errors.As(err, &re) || re.Code != code || re.Status != hectest.Codes[code].Status {
					t.Fatalf("error %v does not carry the reply (want code %d)", err, code)
				}
				if !strings.Contains(err.Error(), text) || !strings.Contains(err.Error(), hectest.Codes[code].Text) {
					t.Errorf("error %q does not name %q and its text", err, text)
				}
				if code >= 1 && code <= 4 && !strings.Contains(err.Error(), "HEC rejected the token ("+text+")") {
					t.Errorf("token error is not clear: %q", err)
				}
			case rejectAll:
				if !strings.Contains(be.Results[0].Reason, hectest.Codes[code].Text) {
					t.Errorf("reject reason %q lacks HEC's text", be.Results[0].Reason)
				}
			}
		})
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusNotFound, http.StatusBadRequest} {
		t.Run(fmt.Sprintf("status%d", status), func(t *testing.T) {
			srv.Inject(1, hectest.Fault{Status: status})
			err := s.WriteBatch(context.Background(), auditEvents(0, 3))
			if got, _ := classify(t, err, 3); got != plainErr {
				t.Fatalf("status %d: outcome %s (%v), want a plain error", status, got, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(status)) {
				t.Errorf("error %q does not name status %d", err, status)
			}
		})
	}
	t.Run("reset", func(t *testing.T) {
		srv.Inject(1, hectest.Fault{Reset: true})
		if got, _ := classify(t, s.WriteBatch(context.Background(), auditEvents(0, 3)), 3); got != plainErr {
			t.Fatalf("connection reset: outcome %s, want a plain error", got)
		}
	})
	t.Run("stall", func(t *testing.T) {
		c := testConfig(srv)
		c.Timeout = "200ms"
		s := connect(t, c, nil)
		srv.Inject(1, hectest.Fault{Delay: 5 * time.Second})
		start := time.Now()
		err := s.WriteBatch(context.Background(), auditEvents(0, 3))
		if got, _ := classify(t, err, 3); got != plainErr {
			t.Fatalf("stalled server: outcome %s, want a plain error", got)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("timeout 200ms took %s", d)
		}
	})
	t.Run("recovers", func(t *testing.T) {
		if err := s.WriteBatch(context.Background(), auditEvents(0, 3)); err != nil {
			t.Fatalf("WriteBatch after the faults: %v", err)
		}
		// Fault{Code: 0} injects nothing, so that batch was indexed; the
		// injected replies indexed nothing.
		if d := cmp.Diff(append(span(0, 3), span(0, 3)...), seqs(t, srv)); d != "" {
			t.Fatalf("indexed (-want +got):\n%s", d)
		}
	})
}

// TestPartialBatch makes HEC refuse event 3 of 8 for real (an index the
// token may not write) and checks that 0–2 are OK and indexed once, 3 is
// rejected with HEC's code and text, 4–7 are retried; resending them
// indexes them.
func TestPartialBatch(t *testing.T) {
	for _, compression := range []string{CompressionNone, CompressionGzip} {
		t.Run(compression, func(t *testing.T) {
			srv := hectest.New(t, hectest.Config{Tokens: []hectest.Token{{Value: hectest.DefaultToken, Indexes: []string{"main"}}}})
			c := testConfig(srv)
			c.Compression = compression
			c.Index = "main"
			s := connect(t, c, nil)
			evs := auditEvents(0, 8)
			evs[3].SetMeta(event.MetaIndex, "forbidden")
			err := s.WriteBatch(context.Background(), evs)
			var be *sinks.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("WriteBatch = %v, want a *BatchError", err)
			}
			for i, r := range be.Results {
				want := sinks.OK
				switch {
				case i == 3:
					want = sinks.Reject
					if !strings.Contains(r.Reason, "code 7") || !strings.Contains(r.Reason, "Incorrect index") {
						t.Errorf("reject reason %q lacks HEC's code and text", r.Reason)
					}
				case i > 3:
					want = sinks.Retry
				}
				if r.Outcome != want {
					t.Errorf("event %d: %s, want %s", i, r.Outcome, want)
				}
			}
			if d := cmp.Diff([]int{0, 1, 2}, seqs(t, srv)); d != "" {
				t.Fatalf("indexed (-want +got):\n%s", d)
			}
			var retry []*event.Event
			for i, r := range be.Results {
				if r.Outcome == sinks.Retry {
					retry = append(retry, evs[i])
				}
			}
			if err := s.WriteBatch(context.Background(), retry); err != nil {
				t.Fatalf("resend: %v", err)
			}
			if d := cmp.Diff([]int{0, 1, 2, 4, 5, 6, 7}, seqs(t, srv)); d != "" {
				t.Fatalf("indexed after resend (-want +got):\n%s", d)
			}
		})
	}
}

// TestPartialAfterSplit checks outcomes when a 413 split is followed by a
// failure in the second half: the first half stays OK.
func TestPartialAfterSplit(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	s := connect(t, testConfig(srv), nil)
	srv.Inject(1, hectest.Fault{Status: http.StatusRequestEntityTooLarge})
	srv.Inject(1, hectest.Fault{}) // first half: a no-op fault, accepted
	srv.Inject(1, hectest.Fault{Code: 9})
	err := s.WriteBatch(context.Background(), auditEvents(0, 10))
	var be *sinks.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("WriteBatch = %v, want a *BatchError", err)
	}
	for i, r := range be.Results {
		want := sinks.OK
		if i >= 5 {
			want = sinks.Retry
		}
		if r.Outcome != want {
			t.Errorf("event %d: %s (%s), want %s", i, r.Outcome, r.Reason, want)
		}
	}
	var re *ReplyError
	if !errors.As(err, &re) || re.Code != 9 {
		t.Errorf("BatchError.Err = %v, want the code 9 reply", be.Err)
	}
	if d := cmp.Diff(span(0, 5), seqs(t, srv)); d != "" {
		t.Fatalf("indexed (-want +got):\n%s", d)
	}
}

// Test413Split lowers HEC's max content length below the batch size: the
// sink splits down to what fits, indexes every event exactly once and in
// order, and rejects a single event that can never fit.
func Test413Split(t *testing.T) {
	for _, compression := range []string{CompressionNone, CompressionGzip} {
		t.Run(compression, func(t *testing.T) {
			srv := hectest.New(t, hectest.Config{})
			c := testConfig(srv)
			c.Compression = compression
			s := connect(t, c, nil)

			evs := auditEvents(0, 40)
			// Measure what 3 events weigh on the wire, then allow that.
			if err := s.WriteBatch(context.Background(), evs[:3]); err != nil {
				t.Fatal(err)
			}
			limit := srv.BodyBytes()
			srv.SetMaxContentLength(limit)
			big := auditEvent(99)
			big.Set("blob", event.String(noise(int(limit)*40)))
			batch := append(append(evs[3:20:20], big), evs[20:]...)
			postsBefore := srv.Posts()
			err := s.WriteBatch(context.Background(), batch)
			var be *sinks.BatchError
			if !errors.As(err, &be) {
				t.Fatalf("WriteBatch = %v, want a *BatchError rejecting the big event", err)
			}
			for i, r := range be.Results {
				want := sinks.OK
				if batch[i] == big {
					want = sinks.Reject
					if !strings.Contains(r.Reason, "413") {
						t.Errorf("reject reason %q does not say 413", r.Reason)
					}
				}
				if r.Outcome != want {
					t.Errorf("event %d: %s (%s), want %s", i, r.Outcome, r.Reason, want)
				}
			}
			if d := cmp.Diff(span(0, 40), seqs(t, srv)); d != "" {
				t.Fatalf("indexed (-want +got):\n%s", d)
			}
			// Halving n events takes at most 2n-1 requests.
			if n := srv.Posts() - postsBefore; n < 2 || n > 2*int64(len(batch))-1 {
				t.Errorf("%d requests for %d events", n, len(batch))
			}
		})
	}
}

// TestWrongToken checks that a wrong or disabled token gives one clear
// error per batch and that the token appears in no error, log or config
// rendering.
func TestWrongToken(t *testing.T) {
	const token = "ffffffff-0bad-7777-aaaa-0123456789ab"
	srv := hectest.New(t, hectest.Config{Tokens: []hectest.Token{
		{Value: hectest.DefaultToken},
		{Value: "dddddddd-0000-0000-0000-disabled0000", Disabled: true},
	}})
	for _, tc := range []struct {
		name, token string
		code        int
	}{
		{"unknown", token, 4},
		{"disabled", "dddddddd-0000-0000-0000-disabled0000", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			c := testConfig(srv)
			c.Token = plugin.Secret(tc.token)
			c.IndexerAck = true
			s := connect(t, c, &logs)
			before := srv.Posts()
			err := s.WriteBatch(context.Background(), auditEvents(0, 5))
			if err == nil {
				t.Fatal("WriteBatch with a bad token succeeded")
			}
			var be *sinks.BatchError
			if errors.As(err, &be) {
				t.Fatalf("bad token gave per-event outcomes (events would be dropped): %v", err)
			}
			want := fmt.Sprintf("HEC rejected the token (code %d): %s", tc.code, hectest.Codes[tc.code].Text)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
			if n := srv.Posts() - before; n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			fp, _ := json.Marshal(c)
			for what, text := range map[string]string{
				"error": err.Error(), "logs": logs.String(), "config %v": fmt.Sprintf("%v %+v %#v", c, *c, c), "fingerprint": string(fp),
			} {
				if strings.Contains(text, tc.token) {
					t.Errorf("the token appears in the %s: %s", what, text)
				}
			}
		})
	}
}

// TestTokenNeverInValidateErrors checks that a bad token is reported by
// attribute without its value.
func TestTokenNeverInValidateErrors(t *testing.T) {
	c := NewConfig()
	c.Endpoint = "https://splunk.example:8088"
	c.Token = "secret token\n"
	err := c.Validate()
	var ae *plugin.AttrError
	if !errors.As(err, &ae) || ae.Attr != "token" {
		t.Fatalf("Validate = %v, want an AttrError on token", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error shows the token: %v", err)
	}
}

// TestRedirectNotFollowed checks that a redirect is an error and the token
// is not carried to the other location.
func TestRedirectNotFollowed(t *testing.T) {
	other := hectest.New(t, hectest.Config{})
	srv := hectest.New(t, hectest.Config{})
	s := connect(t, testConfig(srv), nil)
	// Point the sink at a handler that redirects to the other server.
	red := newRedirector(t, other.URL())
	s.postURL = red + "/services/collector/event"
	err := s.WriteBatch(context.Background(), auditEvents(0, 2))
	if got, _ := classify(t, err, 2); got != plainErr {
		t.Fatalf("redirect: outcome %s (%v), want a plain error", got, err)
	}
	if other.Requests() != 0 {
		t.Fatalf("the redirect was followed: %d requests reached the other server", other.Requests())
	}
}

// TestConcurrentWriteBatch runs MaxInFlight writers at once over one
// channel and checks every event is indexed once.
func TestConcurrentWriteBatch(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	c := testConfig(srv)
	c.Compression = CompressionGzip
	s := connect(t, c, nil)
	const batches, size = 32, 50
	errs := make(chan error, batches)
	sem := make(chan struct{}, MaxInFlight)
	for b := range batches {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			errs <- s.WriteBatch(context.Background(), auditEvents(b*size, size))
		}()
	}
	for range batches {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got := seqs(t, srv)
	seen := map[int]int{}
	for _, q := range got {
		seen[q]++
	}
	for q := range batches * size {
		if seen[q] != 1 {
			t.Fatalf("event %d indexed %d times", q, seen[q])
		}
	}
	if n := srv.Connections(); n > MaxInFlight+1 {
		t.Errorf("%d connections for %d concurrent writers: keep-alive not reused", n, MaxInFlight)
	}
}

// TestPathAndPrefix checks the path override and an endpoint path prefix.
func TestPathAndPrefix(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	c := testConfig(srv)
	c.Path = "/services/collector/event/1.0"
	s := connect(t, c, nil)
	if err := s.WriteBatch(context.Background(), auditEvents(0, 2)); err != nil {
		t.Fatal(err)
	}
	if srv.EventCount() != 2 {
		t.Fatalf("indexed %d events via the path override", srv.EventCount())
	}
	c = testConfig(srv)
	c.Endpoint = srv.URL() + "/proxy/"
	s2, err := New(c, sinks.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if want := srv.URL() + "/proxy/services/collector/event"; s2.postURL != want {
		t.Fatalf("post URL %q, want %q", s2.postURL, want)
	}
	if want := srv.URL() + "/proxy/services/collector/ack"; s2.ackURL != want {
		t.Fatalf("ack URL %q, want %q", s2.ackURL, want)
	}
}

// TestConnectHealth checks that Connect fails while HEC reports unhealthy
// and succeeds when it recovers.
func TestConnectHealth(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	s, err := New(testConfig(srv), sinks.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	srv.SetHealth(18)
	err = s.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "code 18") {
		t.Fatalf("Connect to an unhealthy HEC = %v, want a code 18 error", err)
	}
	srv.SetHealth(17)
	if err := s.Connect(context.Background()); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	srv.Close()
	if err := s.Connect(context.Background()); err == nil {
		t.Fatal("Connect to a closed server succeeded")
	}
}

// noise returns n hexadecimal digits that gzip cannot shrink much.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdef"[r.IntN(16)]
	}
	return string(b)
}

// newRedirector serves 307 redirects to target on 127.0.0.1.
func newRedirector(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCancelledContext checks that WriteBatch returns promptly when its
// context ends during a stalled request, with nothing accepted.
func TestCancelledContext(t *testing.T) {
	srv := hectest.New(t, hectest.Config{})
	s := connect(t, testConfig(srv), nil)
	srv.Inject(1, hectest.Fault{Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.WriteBatch(ctx, auditEvents(0, 3))
	if got, _ := classify(t, err, 3); got != plainErr || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WriteBatch = %v, want a plain error wrapping the deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("WriteBatch took %s after its context ended", d)
	}
	if n := srv.EventCount(); n != 0 {
		t.Fatalf("%d events indexed", n)
	}
}
