package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forwarder/forwarder/engine"
	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/internal/fwdtest"
	"github.com/forwarder/forwarder/plugin"
	"github.com/forwarder/forwarder/rules"
	"github.com/forwarder/forwarder/sinks"
	"github.com/forwarder/forwarder/sources/demo"
)

// recSink records every event it receives as JSON, for tests that compare
// whole events.
type recSink struct {
	mu  sync.Mutex
	got []string
}

var recByName sync.Map // name → *recSink

func rec(name string) *recSink {
	v, _ := recByName.LoadOrStore(name, &recSink{})
	return v.(*recSink)
}

func recFactory() sinks.Factory {
	return sinks.Factory{
		Type:      "rec",
		NewConfig: func() plugin.Config { return &memConfig{} },
		New: func(cfg plugin.Config, _ sinks.Settings) (sinks.Sink, error) {
			return rec(cfg.(*memConfig).Name), nil
		},
		MaxInFlight: 2,
	}
}

func (s *recSink) Connect(context.Context) error { return nil }
func (s *recSink) Close(context.Context) error   { return nil }
func (s *recSink) WriteBatch(_ context.Context, evs []*event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range evs {
		s.got = append(s.got, string(event.AppendJSON(nil, ev, true)))
	}
	return nil
}

func (s *recSink) sorted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.got)
	sort.Strings(out)
	return out
}

// TestRouteIsolationRandomized: for random plans of N routes over M sources
// with random mutating rules and fan-out, every sink receives exactly the
// events its own routes' rules make of the source events, never a trace of
// another route's rules. Run under -race this also proves no route writes an
// event another goroutine reads.
func TestRouteIsolationRandomized(t *testing.T) {
	const perSource = 300
	start := "2026-11-24T08:00:00Z"
	ruleKinds := []func(i int) string{
		func(i int) string { return fmt.Sprintf(`set = { mark_%d = "'r%d'" }`, i, i) },
		func(i int) string { return `set = { user = "event.userIdentity.userName ?? 'none'" }` },
		func(i int) string { return `decode_json = ["event"]` },
		func(i int) string { return `delete = ["__tag__:__pack_id__"]` },
		func(i int) string { return `delete = ["event"]` },
		func(i int) string { return `set = { topic_copy = "topic" }` },
		func(i int) string { return `filter = "topic == 'actiontrail_audit_event'"` },
		func(i int) string { return `meta = { index = "'idx` + fmt.Sprint(i) + `'" }` },
	}
	for trial := range 20 {
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(uint64(trial), 42))
			nSrc, nRoutes, nSinks := 1+rnd.IntN(3), 2+rnd.IntN(4), 2+rnd.IntN(3)
			if trial == 0 { // the reported case: ra reads a and b and sets a field, rb reads only a
				nSrc, nRoutes, nSinks = 2, 2, 2
			}
			var b strings.Builder
			for s := range nSrc {
				fmt.Fprintf(&b, "source \"demo\" \"s%d\" {\n  count = %d\n  seed = %d\n  start = %q\n  batch_size = 50\n}\n", s, perSource, 100+s, start)
			}
			sinkName := func(k int) string { return fmt.Sprintf("iso-%d-%d", trial, k) }
			for k := range nSinks {
				fmt.Fprintf(&b, "sink \"rec\" \"k%d\" { name = %q }\n", k, sinkName(k))
			}
			type routeDef struct {
				from []int
				to   []int
			}
			var defs []routeDef
			for r := range nRoutes {
				var ruleRefs []string
				nRules := rnd.IntN(4)
				if trial == 0 {
					nRules = 1 - r
				}
				for j := range nRules {
					name := fmt.Sprintf("r%d_%d", r, j)
					kind := ruleKinds[rnd.IntN(len(ruleKinds))]
					if trial == 0 {
						kind = ruleKinds[0]
					}
					fmt.Fprintf(&b, "rule %q {\n  %s\n  on_error = \"drop\"\n}\n", name, kind(r))
					ruleRefs = append(ruleRefs, "rule."+name)
				}
				d := routeDef{from: pick(rnd, nSrc), to: pick(rnd, nSinks)}
				if trial == 0 {
					d = routeDef{from: []int{0, 1}[:2-r], to: []int{r}}
				}
				defs = append(defs, d)
				var from, to []string
				for _, s := range d.from {
					from = append(from, fmt.Sprintf("source.demo.s%d", s))
				}
				for _, k := range d.to {
					to = append(to, fmt.Sprintf("sink.rec.k%d", k))
				}
				fmt.Fprintf(&b, "route \"x%d\" {\n  from = [%s]\n  rules = [%s]\n  to = [%s]\n}\n", r, strings.Join(from, ", "), strings.Join(ruleRefs, ", "), strings.Join(to, ", "))
			}
			p := compile(t, b.String())
			run(t, p, 60*time.Second)

			// Expected: each route's rules applied to a fresh copy of each
			// event of each of its sources.
			want := map[int][]string{}
			runner := rules.NewEvaluator()
			startT, _ := time.Parse(time.RFC3339, start)
			for r, d := range defs {
				route := p.Routes()[r]
				for _, s := range d.from {
					g := demo.NewGenerator(uint64(100+s), startT)
					for range perSource {
						ev := g.Next()
						if out, _ := runner.Run(route.Rules, ev); out != rules.Pass {
							continue
						}
						js := string(event.AppendJSON(nil, ev, true))
						for _, k := range d.to {
							want[k] = append(want[k], js)
						}
					}
				}
			}
			for k := range nSinks {
				w := want[k]
				sort.Strings(w)
				got := rec(sinkName(k)).sorted()
				if !slices.Equal(got, w) {
					t.Errorf("sink %d: got %d events, want %d; first difference: %s", k, len(got), len(w), firstDiff(got, w))
				}
			}
		})
	}
}

func pick(rnd *rand.Rand, n int) []int {
	var out []int
	for i := range n {
		if rnd.IntN(2) == 0 {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		out = append(out, rnd.IntN(n))
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("\n got  %s\n want %s", a[i], b[i])
		}
	}
	return "(length only)"
}

// dead marks a mem sink as failing every write from now on.
func dead(name string) *memSink {
	s := mem(name)
	s.mu.Lock()
	s.failUntil = time.Now().Add(time.Hour)
	s.mu.Unlock()
	return s
}

func deadSinkConf(sinkName string, count int) string {
	return fmt.Sprintf(`
source "demo" "d" {
  count      = %d
  batch_size = 100
  in_flight  = 8
}
sink "mem" "out" {
  name          = %q
  buffer_events = 200
  batch {
    max_events = 100
  }
  retry {
    initial_backoff = "20ms"
    max_backoff     = "25s"
  }
}
route "r" {
  from = [source.demo.d]
  to   = [sink.mem.out]
}
`, count, sinkName)
}

// TestDeadSinkFixTakesEffect: the only sink is down and its queue is full;
// the user saves a corrected sink. Apply returns at once, the batches held
// by the dead sink are given back to the source, and every event reaches
// the corrected sink within seconds.
func TestDeadSinkFixTakesEffect(t *testing.T) {
	d := dead("fix-dead")
	rt := engine.New(engine.Settings{})
	defer stopWithin(t, rt, 10*time.Second)
	if _, err := rt.Apply(compile(t, deadSinkConf("fix-dead", 5000))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dead sink retrying", 5*time.Second, func() bool { return d.writes.Load() >= 3 })
	start := time.Now()
	if _, err := rt.Apply(compile(t, deadSinkConf("fix-alive", 5000))); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Apply took %v with the old sink down; it must not wait for sinks", took)
	}
	select {
	case <-rt.SourcesDone():
	case <-time.After(10 * time.Second):
		t.Fatal("the corrected sink did not receive every event within 10s")
	}
	if dist, total := mem("fix-alive").count(); dist != 5000 {
		t.Errorf("corrected sink: %d distinct events (%d total), want 5000", dist, total)
	}
	if dist, _ := d.count(); dist != 0 {
		t.Errorf("dead sink recorded %d events", dist)
	}
}

// TestReloadOfChangedSourceKeepsRunning: changing a source's attributes
// stops it and starts its replacement; SourcesDone (the end of a bounded
// run) never fires for a source that was stopped by a reload.
func TestReloadOfChangedSourceKeepsRunning(t *testing.T) {
	conf := func(rate int) string {
		return fmt.Sprintf(`
source "demo" "d" {
  rate = %d
}
sink "mem" "out" { name = "src-change" }
route "r" {
  from = [source.demo.d]
  to   = [sink.mem.out]
}
`, rate)
	}
	rt := engine.New(engine.Settings{})
	defer stopWithin(t, rt, 10*time.Second)
	if _, err := rt.Apply(compile(t, conf(5000))); err != nil {
		t.Fatal(err)
	}
	s := mem("src-change")
	for i, rate := range []int{4000, 6000, 5000} {
		before := s.writes.Load()
		st, err := rt.Apply(compile(t, conf(rate)))
		if err != nil || st.SourcesGone != 1 || st.SourcesStarted != 1 {
			t.Fatalf("reload %d: %+v %v", i, st, err)
		}
		waitFor(t, "writes after the reload", 5*time.Second, func() bool { return s.writes.Load() > before+2 })
		select {
		case <-rt.SourcesDone():
			t.Fatalf("reload %d: SourcesDone fired for a source stopped by a reload", i)
		default:
		}
	}
}

// TestBoundedSourcesFinish: SourcesDone fires when every source of the plan
// ended by itself, also after a reload replaced one of them.
func TestBoundedSourcesFinish(t *testing.T) {
	conf := func(count int) string {
		return fmt.Sprintf(`
source "demo" "a" { count = 500 }
source "demo" "b" {
  count = %d
  rate  = 2000
}
sink "mem" "out" { name = "bounded-%d" }
route "r" {
  from = [source.demo.a, source.demo.b]
  to   = [sink.mem.out]
}
`, count, count)
	}
	rt := engine.New(engine.Settings{})
	defer stopWithin(t, rt, 10*time.Second)
	if _, err := rt.Apply(compile(t, conf(100000))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "source a done", 5*time.Second, func() bool { d, _ := mem("bounded-100000").count(); return d >= 1000 })
	if _, err := rt.Apply(compile(t, conf(300))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rt.SourcesDone():
	case <-time.After(10 * time.Second):
		t.Fatal("SourcesDone did not fire after every source finished")
	}
}

// TestRetiredSeriesDeleted: the metric series of removed sinks and routes
// go away, and there is no series with an empty sink label.
func TestRetiredSeriesDeleted(t *testing.T) {
	conf := func(n string) string {
		return `
source "demo" "d" { rate = 1000 }
sink "mem" "` + n + `" { name = "series-` + n + `" }
route "route_` + n + `" {
  from = [source.demo.d]
  to   = [sink.mem.` + n + `]
}
`
	}
	rt := engine.New(engine.Settings{})
	defer stopWithin(t, rt, 10*time.Second)
	if _, err := rt.Apply(compile(t, conf("a"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "writes", 5*time.Second, func() bool { return mem("series-a").writes.Load() > 0 })
	if _, err := rt.Apply(compile(t, conf("b"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "series of sink a and route a deleted", 5*time.Second, func() bool {
		labels := seriesLabels(t, rt)
		return !labels[`sink="mem.a"`] && !labels[`route="route_a"`] && labels[`sink="mem.b"`]
	})
	if seriesLabels(t, rt)[`sink=""`] {
		t.Error(`a series with sink="" exists`)
	}
}

func seriesLabels(t *testing.T, rt *engine.Runtime) map[string]bool {
	t.Helper()
	mfs, err := rt.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				out[l.GetName()+`="`+l.GetValue()+`"`] = true
			}
		}
	}
	return out
}

// TestShutdownReportsUndelivered: with the only sink down, Shutdown ends at
// its deadline, reports the undelivered batches, and leaves no goroutine
// behind (goleak in TestMain).
func TestShutdownReportsUndelivered(t *testing.T) {
	d := dead("shutdown-dead")
	rt := engine.New(engine.Settings{ProgressEvery: 100 * time.Millisecond})
	if _, err := rt.Apply(compile(t, deadSinkConf("shutdown-dead", 0))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dead sink retrying", 5*time.Second, func() bool { return d.writes.Load() >= 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := rt.Shutdown(ctx)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Shutdown took %v past a 500ms deadline", took)
	}
	if !res.Forced || res.Undelivered == 0 {
		t.Errorf("Shutdown result %+v; want forced with undelivered batches", res)
	}
}

// TestShutdownCleanReportsNothing: a shutdown whose sinks delivered
// everything reports no undelivered batch.
func TestShutdownCleanReportsNothing(t *testing.T) {
	rt := engine.New(engine.Settings{})
	if _, err := rt.Apply(compile(t, deadSinkConf("shutdown-clean", 0))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "writes", 5*time.Second, func() bool { return mem("shutdown-clean").writes.Load() > 5 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res := rt.Shutdown(ctx); res.Forced || res.Undelivered != 0 {
		t.Errorf("Shutdown result %+v; want everything delivered", res)
	}
}

func stopWithin(t *testing.T, rt *engine.Runtime, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	rt.Shutdown(ctx)
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkApplySinkDown measures Apply while the running sink is down with
// its queue full and the source blocked on it: every Apply replaces the
// failing sink by another failing one. Reports p50 and p99 latency.
func BenchmarkApplySinkDown(b *testing.B) {
	dead("bench-dead-a")
	dead("bench-dead-b")
	rt := engine.New(engine.Settings{})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rt.Shutdown(ctx)
	}()
	plans := [2]string{deadSinkConf("bench-dead-a", 0), deadSinkConf("bench-dead-b", 0)}
	pa, pb := fwdtest.Compile(b, registries(b), plans[0]), fwdtest.Compile(b, registries(b), plans[1])
	if _, err := rt.Apply(pa); err != nil {
		b.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // queue full, source blocked
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pa
		if i%2 == 0 {
			p = pb
		}
		start := time.Now()
		if _, err := rt.Apply(p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		time.Sleep(20 * time.Millisecond) // let the source refill the new sink's queue
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// TestTapSkipsInsteadOfWaiting: a tap nobody reads fills its small buffer
// and then skips (and counts) events; the pipeline delivers everything.
func TestTapSkipsInsteadOfWaiting(t *testing.T) {
	p := compile(t, `
source "demo" "d" { count = 3000 }
sink "mem" "out" { name = "tap-out" }
route "r" {
  from = [source.demo.d]
  to   = [sink.mem.out]
}
`)
	rt := engine.New(engine.Settings{})
	tap := rt.Tap(engine.TapFilter{Route: "r", Buffer: 10, Rate: 1000000})
	defer tap.Close()
	sinkTap := rt.Tap(engine.TapFilter{Sink: "mem.out", Buffer: 10, Rate: 1000000})
	defer sinkTap.Close()
	if _, err := rt.Apply(p); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rt.SourcesDone():
	case <-time.After(20 * time.Second):
		t.Fatal("the pipeline stalled behind an unread tap")
	}
	fwdtest.Stop(rt)
	if d, _ := mem("tap-out").count(); d != 3000 {
		t.Errorf("sink got %d events, want 3000", d)
	}
	if len(tap.C) != 10 || tap.Skipped() != 2990 || len(sinkTap.C) != 10 || sinkTap.Skipped() != 2990 {
		t.Errorf("route tap: %d buffered, %d skipped; sink tap: %d buffered, %d skipped", len(tap.C), tap.Skipped(), len(sinkTap.C), sinkTap.Skipped())
	}
	line := <-tap.C
	if !strings.Contains(string(line), `"route":"r","event":{`) || !strings.Contains(string(line), "demo_seq") {
		t.Errorf("tap line %s", line)
	}
}
