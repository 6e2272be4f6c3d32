package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sources/demo"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memSink records events. failFor makes writes fail until that time;
// rejectSeq rejects events whose demo_seq is in the set.
type memSink struct {
	mu        sync.Mutex
	got       map[string]int // demo_seq → deliveries
	connects  atomic.Int64
	writes    atomic.Int64
	failUntil time.Time
	rejectSeq map[string]bool
	reasons   []string // dead_letter_reason of events received
}

var sinksByName sync.Map // name → *memSink, so tests can reach instances

type memConfig struct {
	Name string `hcl:"name" json:"name"`
}

func (c *memConfig) Validate() error { return nil }

func memFactory() sinks.Factory {
	return sinks.Factory{
		Type:      "mem",
		NewConfig: func() plugin.Config { return &memConfig{} },
		New: func(cfg plugin.Config, _ sinks.Settings) (sinks.Sink, error) {
			v, _ := sinksByName.LoadOrStore(cfg.(*memConfig).Name, &memSink{got: map[string]int{}})
			return v.(*memSink), nil
		},
		MaxInFlight: 2,
	}
}

func (s *memSink) Connect(context.Context) error { s.connects.Add(1); return nil }
func (s *memSink) Close(context.Context) error   { return nil }
func (s *memSink) WriteBatch(_ context.Context, evs []*event.Event) error {
	s.writes.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Now().Before(s.failUntil) {
		return errors.New("downstream unavailable")
	}
	var res []sinks.Result
	for _, ev := range evs {
		seq, _ := ev.Get("demo_seq")
		if s.rejectSeq[seq.Str()] {
			res = append(res, sinks.Result{Outcome: sinks.Reject, Reason: "bad event"})
			continue
		}
		res = append(res, sinks.Result{Outcome: sinks.OK})
		s.got[seq.Str()]++
		if r, ok := ev.Get("dead_letter_reason"); ok {
			s.reasons = append(s.reasons, r.Str())
		}
	}
	if len(res) > 0 && len(s.rejectSeq) > 0 {
		return &sinks.BatchError{Results: res}
	}
	return nil
}

func (s *memSink) count() (distinct, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.got {
		distinct++
		total += n
	}
	return
}

func registries(t testing.TB) plan.Registries {
	reg, err := plugin.NewRegistry("sink", memFactory(), recFactory())
	if err != nil {
		t.Fatal(err)
	}
	return plan.Registries{Sources: plugin.MustRegistry("source", demo.Factory()), Sinks: reg}
}

func compile(t *testing.T, src string) *plan.Plan { return fwdtest.Compile(t, registries(t), src) }

func run(t *testing.T, p *plan.Plan, timeout time.Duration) {
	t.Helper()
	rt := fwdtest.Start(t, p)
	select {
	case <-rt.SourcesDone():
	case <-time.After(timeout):
		t.Error("sources did not finish in time")
	}
	fwdtest.Stop(rt)
}

func mem(name string) *memSink {
	v, _ := sinksByName.LoadOrStore(name, &memSink{got: map[string]int{}})
	return v.(*memSink)
}

// TestFanOutDeliversEverything: every event reaches both sinks of a route
// once, the filtered route sees only its topic, and the demo source finishes
// only because every batch was acknowledged.
func TestFanOutDeliversEverything(t *testing.T) {
	p := compile(t, `
source "demo" "d" {
  count = 5000
  batch_size = 250
}
rule "audit" {
  filter = "topic == 'actiontrail_audit_event'"
  set = { user = "event.userIdentity.userName" }
}
sink "mem" "a" { name = "fan-a" }
sink "mem" "b" { name = "fan-b" }
sink "mem" "c" { name = "fan-c" }
route "all" {
  from = [source.demo.d]
  to   = [sink.mem.a, sink.mem.b]
}
route "audit" {
  from  = [source.demo.d]
  rules = [rule.audit]
  to    = [sink.mem.c]
}
`)
	run(t, p, 30*time.Second)
	for _, name := range []string{"fan-a", "fan-b"} {
		if d, n := mem(name).count(); d != 5000 || n != 5000 {
			t.Errorf("%s: %d distinct, %d total; want 5000 each", name, d, n)
		}
	}
	d, n := mem("fan-c").count()
	if d == 0 || d >= 5000 || n != d {
		t.Errorf("fan-c: %d distinct, %d total; want a strict subset, once each", d, n)
	}
}

// TestRetryUntilRecovery: a sink failing for a while loses nothing; the
// engine retries with backoff instead of dropping.
func TestRetryUntilRecovery(t *testing.T) {
	s := mem("flaky")
	s.failUntil = time.Now().Add(1500 * time.Millisecond)
	p := compile(t, `
source "demo" "d" {
  count = 2000
}
sink "mem" "a" {
  name = "flaky"
  retry {
    initial_backoff = "50ms"
    max_backoff     = "200ms"
  }
}
route "r" {
  from = [source.demo.d]
  to   = [sink.mem.a]
}
`)
	run(t, p, 30*time.Second)
	if d, _ := s.count(); d != 2000 {
		t.Errorf("delivered %d distinct events, want 2000", d)
	}
	if s.writes.Load() < 3 {
		t.Errorf("only %d writes: the failure was not retried", s.writes.Load())
	}
}

// TestDeadLetters: a sink's rejected events and a rule's failures go to the
// dead-letter sink with the reason; everything else is delivered.
func TestDeadLetters(t *testing.T) {
	s := mem("rejecting")
	s.rejectSeq = map[string]bool{}
	for i := 1; i <= 1000; i += 100 {
		s.rejectSeq[strconv.Itoa(i)] = true
	}
	p := compile(t, `
source "demo" "d" {
  count = 1000
}
rule "strict" {
  decode_json = ["bucket"]   # OSS events have a bucket that is not JSON
}
sink "mem" "out" { name = "rejecting" }
sink "mem" "dead" { name = "dead" }
route "r" {
  from        = [source.demo.d]
  rules       = [rule.strict]
  to          = [sink.mem.out]
  dead_letter = sink.mem.dead
}
`)
	run(t, p, 30*time.Second)
	out, _ := s.count()
	dead, _ := mem("dead").count()
	if out+dead != 1000 {
		t.Errorf("delivered %d + dead-lettered %d, want 1000 in all", out, dead)
	}
	if dead <= len(s.rejectSeq)-2 {
		t.Errorf("only %d dead letters", dead)
	}
	var rule, sink int
	for _, r := range mem("dead").reasons {
		switch {
		case strings.HasPrefix(r, `rule "strict": decode_json bucket:`):
			rule++
		case r == "sink mem.out rejected the event: bad event":
			sink++
		default:
			t.Errorf("unexpected dead-letter reason %q", r)
		}
	}
	if rule == 0 || sink == 0 {
		t.Errorf("dead-letter reasons: %d from the rule, %d from the sink; want both", rule, sink)
	}
}

// TestApplyReusesUnchangedSinks: a rule-only change keeps the running sink
// (no new connect); a changed sink gets a new instance and connection; a
// removed sink is retired.
func TestApplyReusesUnchangedSinks(t *testing.T) {
	conf := func(rule, sinkName string) string {
		return `
source "demo" "d" {
  rate = 2000
}
rule "r" {
  set = { mark = "'` + rule + `'" }
}
sink "mem" "a" { name = "` + sinkName + `" }
route "x" {
  from  = [source.demo.d]
  rules = [rule.r]
  to    = [sink.mem.a]
}
`
	}
	rt := engine.New(engine.Settings{})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Shutdown(ctx)
	}()
	waitWrites := func(s *memSink) {
		t.Helper()
		n := s.writes.Load()
		for deadline := time.Now().Add(5 * time.Second); s.writes.Load() == n; {
			if time.Now().After(deadline) {
				t.Fatal("no write within 5s")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	st, err := rt.Apply(compile(t, conf("v1", "reuse-1")))
	if err != nil || st.SinksNew != 1 || st.SourcesStarted != 1 {
		t.Fatalf("first apply: %+v %v", st, err)
	}
	s1 := mem("reuse-1")
	waitWrites(s1)
	st, err = rt.Apply(compile(t, conf("v2", "reuse-1")))
	if err != nil || st.SinksReused != 1 || st.SinksNew != 0 || st.SourcesKept != 1 || st.SourcesStarted != 0 {
		t.Fatalf("rule-only change: %+v %v", st, err)
	}
	waitWrites(s1)
	if c := s1.connects.Load(); c != 1 {
		t.Errorf("unchanged sink connected %d times, want 1", c)
	}
	st, err = rt.Apply(compile(t, conf("v2", "reuse-2")))
	if err != nil || st.SinksNew != 1 || st.SinksRetired != 1 || st.SourcesKept != 1 {
		t.Fatalf("sink change: %+v %v", st, err)
	}
	s2 := mem("reuse-2")
	waitWrites(s2)
	if c := s2.connects.Load(); c != 1 {
		t.Errorf("changed sink connected %d times, want 1", c)
	}
}

func TestAdminEndpoints(t *testing.T) {
	rt := engine.New(engine.Settings{})
	reloads := 0
	h := engine.AdminHandler(rt, func() error { reloads++; return nil }, engine.AdminOptions{})
	get := func(method, path string) (int, string) {
		req := httptest.NewRequest(method, path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	if code, body := get("GET", "/health"); code != 200 || !strings.Contains(body, `"status": "starting"`) {
		t.Errorf("liveness before a plan: %d %s, want 200 starting", code, body)
	}
	if code, _ := get("GET", "/-/ready"); code != 503 {
		t.Errorf("readiness before a plan: %d, want 503", code)
	}
	p := compile(t, `
source "demo" "d" {
  count = 10
}
sink "mem" "a" { name = "admin" }
route "x" {
  from = [source.demo.d]
  to   = [sink.mem.a]
}
`)
	if _, err := rt.Apply(p); err != nil {
		t.Fatal(err)
	}
	<-rt.SourcesDone()
	if code, body := get("GET", "/health"); code != 200 || !strings.Contains(body, p.Version()) {
		t.Errorf("health: %d %s", code, body)
	}
	if code, body := get("GET", "/-/ready"); code != 200 || !strings.Contains(body, `"name": "mem.a"`) || !strings.Contains(body, `"state": "finished"`) {
		t.Errorf("ready: %d %s", code, body)
	}
	if code, _ := get("POST", "/-/reload"); code != 200 || reloads != 1 {
		t.Errorf("reload: %d, %d calls", code, reloads)
	}
	code, body := get("GET", "/metrics")
	for _, want := range []string{"forwarder_config_plan_info{version=\"" + p.Version() + "\"} 1", "forwarder_source_events_total{lane=\"\",source=\"demo.d\"} 10", "forwarder_sink_events_total{outcome=\"sent\",sink=\"mem.a\"} 10"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt.Shutdown(ctx)
}

// TestShutdownMidStreamNeverHangs: shutting down while a fast stream flows
// returns every time (a source once kept a slot it took as its context
// ended, and waited for it forever).
func TestShutdownMidStreamNeverHangs(t *testing.T) {
	p := compile(t, `
source "demo" "d" {
  batch_size = 10
  in_flight  = 2
}
sink "mem" "a" { name = "shutdown" }
route "x" {
  from = [source.demo.d]
  to   = [sink.mem.a]
}
`)
	for i := range 40 {
		rt := engine.New(engine.Settings{})
		if _, err := rt.Apply(p); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%7) * time.Millisecond)
		done := make(chan struct{})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			rt.Shutdown(ctx)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatalf("shutdown %d hung", i)
		}
	}
}

// TestLogProgress: the periodic progress line reports per-source and
// per-sink rates.
func TestLogProgress(t *testing.T) {
	p := compile(t, `
source "demo" "d" {
  rate = 2000
}
sink "mem" "a" { name = "progress" }
route "x" {
  from = [source.demo.d]
  to   = [sink.mem.a]
}
`)
	rt := fwdtest.Start(t, p)
	defer fwdtest.Stop(rt)
	var buf syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		rt.LogProgress(ctx, 300*time.Millisecond, slog.New(slog.NewTextHandler(&buf, nil)))
		close(done)
	}()
	time.Sleep(1100 * time.Millisecond)
	cancel()
	<-done
	line := buf.String()
	m := regexp.MustCompile(`in\.demo\.d_per_s=(\d+) out\.mem\.a_per_s=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no progress line with rates:\n%s", line)
	}
	if in, _ := strconv.Atoi(m[1]); in < 500 {
		t.Errorf("reported %d events/s in for a 2000/s source:\n%s", in, line)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
