// Package engine runs plans: it routes source batches through rules to sink
// runners, tracks acknowledgements back to the sources, and applies new
// plans atomically (hot reload) while reusing unchanged sources and sinks.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/engine/plan"
	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/sources"
)

// Settings configure a Runtime.
type Settings struct {
	Logger  *slog.Logger
	Metrics *Metrics // nil: a new set
	// DrainTimeout bounds how long a retired sink may take to deliver what
	// it holds before it is closed anyway (its batches then stay
	// unacknowledged and are read again).
	DrainTimeout time.Duration
}

// Runtime is the running state: sink runners, source goroutines and the
// current snapshot. Apply is serialised; Deliver is lock-free.
type Runtime struct {
	log      *slog.Logger
	metrics  *Metrics
	drain    time.Duration
	lostRule prometheus.Counter

	mu      sync.Mutex // serialises Apply and Shutdown
	cur     atomicSnapshot
	sinks   map[string]*sinkRunner   // key → runner of the current plan
	sources map[string]*sourceRunner // key → running source
	stopped bool

	srcWG   sync.WaitGroup
	srcDone chan struct{} // closed when every started source has returned
	srcLive int
	srcMu   sync.Mutex
}

type sourceRunner struct {
	key, fingerprint string
	src              sources.Source
	cancel           context.CancelFunc
	done             chan struct{}
}

// New returns a Runtime with no plan. It starts nothing.
func New(set Settings) *Runtime {
	if set.Logger == nil {
		set.Logger = slog.Default()
	}
	if set.Metrics == nil {
		set.Metrics = NewMetrics()
	}
	if set.DrainTimeout == 0 {
		set.DrainTimeout = 30 * time.Second
	}
	return &Runtime{
		log: set.Logger, metrics: set.Metrics, drain: set.DrainTimeout,
		lostRule: set.Metrics.SinkEvents.WithLabelValues("", "lost"),
		sinks:    map[string]*sinkRunner{}, sources: map[string]*sourceRunner{},
		srcDone: make(chan struct{}),
	}
}

// Metrics returns the runtime's metrics.
func (rt *Runtime) Metrics() *Metrics { return rt.metrics }

// Plan returns the running plan, or nil.
func (rt *Runtime) Plan() *plan.Plan {
	if s := rt.cur.Load(); s != nil {
		return s.plan
	}
	return nil
}

// ApplyStats says what an Apply did.
type ApplyStats struct {
	SinksReused, SinksNew, SinksRetired      int
	SourcesKept, SourcesStarted, SourcesGone int
}

// Apply makes p the running plan. Sinks and sources whose fingerprints did
// not change keep running untouched (no reconnect, no consumer rebalance);
// new and changed ones are built first, then one atomic swap makes the new
// snapshot live, then retired ones drain and close. If building fails,
// nothing changes.
func (rt *Runtime) Apply(p *plan.Plan) (ApplyStats, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var st ApplyStats
	if rt.stopped {
		return st, fmt.Errorf("engine: runtime is shut down")
	}

	// 1. Sinks: reuse or build.
	next := map[string]*sinkRunner{}
	var built []*sinkRunner
	for _, spec := range p.Sinks() {
		if old, ok := rt.sinks[spec.Key]; ok && old.spec.Fingerprint == spec.Fingerprint {
			next[spec.Key] = old
			st.SinksReused++
			continue
		}
		r, err := newSinkRunner(spec, rt.log, rt.metrics)
		if err != nil {
			for _, b := range built {
				b.stopNow()
			}
			return st, err
		}
		built = append(built, r)
		next[spec.Key] = r
		st.SinksNew++
	}

	// 2. Routes.
	snap := &snapshot{plan: p, bySource: map[string][]*routeRT{}}
	perSource := map[string]int{}
	for _, r := range p.Routes() {
		for _, f := range r.From {
			perSource[f]++
		}
	}
	for _, r := range p.Routes() {
		rrt := &routeRT{
			route:    r,
			passed:   rt.metrics.RouteEvents.WithLabelValues(r.Name, "passed"),
			filtered: rt.metrics.RouteEvents.WithLabelValues(r.Name, "filtered"),
			failed:   rt.metrics.RouteEvents.WithLabelValues(r.Name, "dead_lettered"),
			dropped:  rt.metrics.RouteEvents.WithLabelValues(r.Name, "dropped"),
		}
		for _, k := range r.To {
			rrt.to = append(rrt.to, next[k])
		}
		if r.DeadLetter != "" {
			rrt.deadLetter = next[r.DeadLetter]
		}
		for _, f := range r.From {
			// A route that changes events works on copies when the source's
			// events also go through another route.
			rrt.clone = r.Mutates && perSource[f] > 1
			snap.bySource[f] = append(snap.bySource[f], rrt)
		}
	}

	// 3. Swap.
	for _, b := range built {
		b.start()
	}
	old := rt.cur.Swap(snap)
	prevSinks := rt.sinks
	rt.sinks = next

	// 4. Sources: keep unchanged, stop removed or changed, start new ones.
	want := map[string]*plan.SourceSpec{}
	for _, s := range p.Sources() {
		want[s.Key] = s
	}
	for key, sr := range rt.sources {
		if s, ok := want[key]; ok && s.Fingerprint == sr.fingerprint {
			st.SourcesKept++
			continue
		}
		rt.stopSource(sr)
		delete(rt.sources, key)
		st.SourcesGone++
	}
	for key, spec := range want {
		if _, ok := rt.sources[key]; ok {
			continue
		}
		if err := rt.startSource(spec); err != nil {
			rt.log.Error("source failed to start", "source", key, "err", err)
			continue
		}
		st.SourcesStarted++
	}

	// 5. Retire: wait until no Deliver routes under the old snapshot, then
	// drain and close the sinks no longer used.
	if old != nil {
		old.retired.Store(true)
		for old.pins.Load() > 0 {
			time.Sleep(time.Millisecond)
		}
	}
	for key, r := range prevSinks {
		if next[key] == r {
			continue
		}
		st.SinksRetired++
		go func(r *sinkRunner) {
			ctx, cancel := context.WithTimeout(context.Background(), rt.drain)
			defer cancel()
			r.close(ctx)
		}(r)
	}
	rt.metrics.Applies.Inc()
	rt.metrics.PlanInfo.Reset()
	rt.metrics.PlanInfo.WithLabelValues(p.Version()).Set(1)
	rt.log.Info("plan applied", "version", p.Version(),
		"sinks_reused", st.SinksReused, "sinks_new", st.SinksNew, "sinks_retired", st.SinksRetired,
		"sources_kept", st.SourcesKept, "sources_started", st.SourcesStarted, "sources_stopped", st.SourcesGone)
	return st, nil
}

func (rt *Runtime) startSource(spec *plan.SourceSpec) error {
	lg := rt.log.With("source", spec.Key)
	src, err := spec.Factory.New(spec.Config, sources.Settings{Name: spec.Key, Logger: lg, CursorResets: rt.metrics.CursorResets.WithLabelValues(spec.Key),
		Shards: rt.metrics.shardMetrics(spec.Key)})
	if err != nil {
		return fmt.Errorf("source %q: %w", spec.Key, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sr := &sourceRunner{key: spec.Key, fingerprint: spec.Fingerprint, src: src, cancel: cancel, done: make(chan struct{})}
	rt.sources[spec.Key] = sr
	out := &output{rt: rt, source: spec.Key, in: rt.metrics.EventsIn.WithLabelValues(spec.Key), inB: rt.metrics.BytesIn.WithLabelValues(spec.Key)}
	rt.srcMu.Lock()
	rt.srcLive++
	rt.srcMu.Unlock()
	rt.srcWG.Add(1)
	go func() {
		defer rt.srcWG.Done()
		defer close(sr.done)
		defer rt.sourceEnded()
		rt.supervise(ctx, lg, src, out)
	}()
	return nil
}

// supervise runs a source, restarting it with capped backoff when it fails.
// A source that returns nil has finished (a bounded demo) or was stopped.
func (rt *Runtime) supervise(ctx context.Context, lg *slog.Logger, src sources.Source, out sources.Output) {
	backoff := time.Second
	for {
		err := src.Run(ctx, out)
		if err == nil || ctx.Err() != nil {
			return
		}
		lg.Error("source failed; restarting", "err", err, "backoff", backoff)
		if !ctxsleep.Sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func (rt *Runtime) sourceEnded() {
	rt.srcMu.Lock()
	defer rt.srcMu.Unlock()
	rt.srcLive--
	if rt.srcLive == 0 {
		select {
		case <-rt.srcDone:
		default:
			close(rt.srcDone)
		}
	}
}

// SourcesDone is closed once every source started so far has returned: a
// bounded run (demo with a count) has finished.
func (rt *Runtime) SourcesDone() <-chan struct{} { return rt.srcDone }

func (rt *Runtime) stopSource(sr *sourceRunner) {
	sr.cancel()
	<-sr.done
}

// Shutdown stops the sources (they stop pulling and commit what was
// acknowledged), then drains every sink until ctx ends, then closes them.
// Batches still unanswered at the deadline are not acknowledged, so they are
// read again on the next start.
func (rt *Runtime) Shutdown(ctx context.Context) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopped {
		return
	}
	rt.stopped = true
	for _, sr := range rt.sources {
		sr.cancel()
	}
	srcs := make(chan struct{})
	go func() { rt.srcWG.Wait(); close(srcs) }()
	select {
	case <-srcs:
	case <-ctx.Done():
		rt.log.Warn("sources did not stop before the shutdown deadline")
	}
	var wg sync.WaitGroup
	for _, r := range rt.sinks {
		wg.Add(1)
		go func(r *sinkRunner) {
			defer wg.Done()
			r.close(ctx)
		}(r)
	}
	wg.Wait()
	// Sinks have answered every batch, so sources see their last
	// acknowledgements now; still, never let one source hang the exit.
	select {
	case <-srcs:
	case <-time.After(10 * time.Second):
		rt.log.Error("a source did not stop after its sinks closed; exiting anyway")
	}
	if s := rt.cur.Load(); s != nil {
		s.retired.Store(true)
	}
}
