// Package engine runs plans: it routes source batches through rules to sink
// runners, tracks acknowledgements back to the sources, and applies new
// plans atomically (hot reload) while reusing unchanged sources and sinks.
//
// Lifecycle. The Runtime owns every goroutine it starts: a supervisor per
// source, a batcher and InFlight writers per sink runner, and a retirer per
// sink runner an Apply replaced. Apply never waits for a sink or a source:
// it builds, swaps the snapshot and returns; replaced sources stop and
// replaced sinks drain in the background. Shutdown stops the sources, lets
// the sinks deliver until its context ends, then gives up on what is left
// (those batches are not acknowledged, so the sources read them again on the
// next start) and waits for every goroutine.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forwarder/forwarder/internal/ctxsleep"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/sources"
)

// Settings configure a Runtime.
type Settings struct {
	Logger  *slog.Logger
	Metrics *Metrics // nil: a new set
	// DrainTimeout bounds how long a retired sink may take to deliver what
	// it holds before it is closed anyway (its batches then stay
	// unacknowledged and are read again). A retired sink that is failing is
	// closed at once, so its batches go to the new plan's sinks promptly.
	DrainTimeout time.Duration
	// ProgressEvery is how often Shutdown logs what is still pending
	// (default 5 s).
	ProgressEvery time.Duration
}

// Runtime is the running state: sink runners, source goroutines and the
// current snapshot. Apply and Shutdown are serialised; Deliver is lock-free.
type Runtime struct {
	log      *slog.Logger
	metrics  *Metrics
	drain    time.Duration
	progress time.Duration

	mu              sync.Mutex // serialises Apply and Shutdown
	cur             atomic.Pointer[snapshot]
	sinks           map[string]*sinkRunner   // key → runner of the current plan
	sources         map[string]*laneRunner   // key → running source
	retiring        map[*sinkRunner]struct{} // runners replaced by an Apply, still draining (under srcMu)
	stoppingSources map[string]*laneRunner   // lanes an Apply stopped that have not returned yet (under mu)
	stopped         bool

	wg sync.WaitGroup // every goroutine the runtime started

	srcMu   sync.Mutex
	active  map[*laneRunner]bool // sources of the current plan → ended by themselves
	srcDone chan struct{}        // closed when every active source ended by itself

	// Batches routed and not yet answered, and batches answered with an
	// error after Shutdown began: the exit status of a shutdown.
	outstanding atomic.Int64
	stopping    atomic.Bool
	failedLate  atomic.Int64

	metricsMu sync.Mutex // orders series deletion of retired components against re-creation

	view atomic.Pointer[view] // the current runners, for Status without locks

	tapState
}

// view lists the runners of the current plan.
type view struct {
	sinks   []*sinkRunner
	sources []*laneRunner
}

// publishView records the current runners; called with mu held.
func (rt *Runtime) publishView() {
	v := &view{}
	for _, r := range rt.sinks {
		v.sinks = append(v.sinks, r)
	}
	for _, sr := range rt.sources {
		v.sources = append(v.sources, sr)
	}
	rt.view.Store(v)
}

// laneRunner supervises one lane of a source (one Source instance): it runs
// the source, restarts it with backoff and keeps its state for /health.
type laneRunner struct {
	key, fingerprint string
	source, lane     string
	src              sources.Source
	cancel           context.CancelFunc
	done             chan struct{}

	stMu    sync.Mutex
	state   string // starting, running, restarting, finished
	lastErr string
	since   time.Time
}

func (sr *laneRunner) setState(state string, err error) {
	sr.stMu.Lock()
	defer sr.stMu.Unlock()
	sr.state, sr.since = state, time.Now()
	if err != nil {
		sr.lastErr = err.Error()
	}
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
	if set.ProgressEvery == 0 {
		set.ProgressEvery = 5 * time.Second
	}
	return &Runtime{
		log: set.Logger, metrics: set.Metrics, drain: set.DrainTimeout, progress: set.ProgressEvery,
		sinks: map[string]*sinkRunner{}, sources: map[string]*laneRunner{},
		retiring: map[*sinkRunner]struct{}{}, active: map[*laneRunner]bool{}, stoppingSources: map[string]*laneRunner{},
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
// snapshot live. Replaced sources stop in the background (committing what
// their acknowledged batches allow) and their successors start once they
// have; replaced sinks drain in the background. Apply never waits for a
// sink or a source. If building fails, nothing changes.
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
	rt.metricsMu.Lock()
	for _, spec := range p.Sinks() {
		if old, ok := rt.sinks[spec.Key]; ok && old.spec.Fingerprint == spec.Fingerprint {
			next[spec.Key] = old
			st.SinksReused++
			continue
		}
		r, err := newSinkRunner(spec, rt.log, rt.metrics)
		if r != nil {
			r.rt = rt
		}
		if err != nil {
			rt.metricsMu.Unlock()
			for _, b := range built {
				b.stopNow()
			}
			return st, err
		}
		built = append(built, r)
		next[spec.Key] = r
		st.SinksNew++
	}
	rt.metricsMu.Unlock()

	// 2. Lanes (source instances) to build: a failure here also changes
	// nothing.
	want := map[string]*plan.Lane{}
	for _, l := range p.Lanes() {
		want[l.Key] = l
	}
	type newSource struct {
		lane *plan.Lane
		src  sources.Source
	}
	var starts []newSource
	for key, l := range want {
		if sr, ok := rt.sources[key]; ok && sr.fingerprint == l.Fingerprint {
			continue
		}
		lg := rt.log.With("source", l.Source.Key)
		if l.Sink != "" {
			lg = lg.With("lane", l.Sink)
		}
		src, err := l.Source.Factory.New(l.Config, sources.Settings{Name: l.Source.Key, Lane: l.Sink, Logger: lg,
			Metrics: rt.metrics.sourceRegisterer(l.Source.Key), Shards: rt.metrics.shardMetrics(l.Source.Key)})
		if err != nil {
			for _, b := range built {
				b.stopNow()
			}
			return st, fmt.Errorf("source %q: %w", key, err)
		}
		starts = append(starts, newSource{l, src})
	}

	// 3. Routes, resolved per lane by the plan.
	snap := &snapshot{plan: p, bySource: map[string][]*routeRT{}}
	rms := map[string]*routeMetrics{}
	for _, r := range p.Routes() {
		rms[r.Name] = rt.metrics.route(r.Name)
	}
	for _, l := range p.Lanes() {
		for _, lr := range l.Routes {
			rrt := &routeRT{route: lr.Route, clone: lr.Clone, primary: lr.Primary, routeMetrics: rms[lr.Route.Name]}
			for _, k := range lr.To {
				rrt.to = append(rrt.to, next[k])
			}
			if lr.Route.DeadLetter != "" {
				rrt.deadLetter = next[lr.Route.DeadLetter]
			}
			snap.bySource[l.Key] = append(snap.bySource[l.Key], rrt)
		}
	}

	// 4. Swap.
	for _, b := range built {
		b.start()
	}
	old := rt.cur.Swap(snap)
	prevSinks := rt.sinks
	rt.sinks = next

	// 5. Sources: keep unchanged, stop removed or changed ones in the
	// background, start new ones (a replacement once its predecessor ended).
	for key, sr := range rt.stoppingSources {
		select {
		case <-sr.done:
			delete(rt.stoppingSources, key)
		default:
		}
	}
	for key, sr := range rt.sources {
		if l, ok := want[key]; ok && l.Fingerprint == sr.fingerprint {
			st.SourcesKept++
			continue
		}
		rt.retireSource(sr)
		rt.stoppingSources[key] = sr
		delete(rt.sources, key)
		st.SourcesGone++
	}
	for _, ns := range starts {
		// Two instances of one lane never read at once: a replacement (or a
		// lane removed and added again) starts once the old one returned.
		var after <-chan struct{}
		if prev := rt.stoppingSources[ns.lane.Key]; prev != nil {
			after = prev.done
		}
		rt.startSource(ns.lane, ns.src, after)
		st.SourcesStarted++
	}

	// 6. Retire sinks no longer used, in the background.
	for key, r := range prevSinks {
		if next[key] == r {
			continue
		}
		st.SinksRetired++
		rt.retireSink(r)
	}
	if old != nil {
		rt.deleteRouteSeries(old.plan, p)
	}
	rt.publishView()
	rt.metrics.Applies.Inc()
	rt.metrics.PlanInfo.Reset()
	rt.metrics.PlanInfo.WithLabelValues(p.Version()).Set(1)
	rt.log.Info("plan applied", "version", p.Version(),
		"sinks_reused", st.SinksReused, "sinks_new", st.SinksNew, "sinks_retired", st.SinksRetired,
		"sources_kept", st.SourcesKept, "sources_started", st.SourcesStarted, "sources_stopped", st.SourcesGone)
	return st, nil
}

// retireSink drains r in the background: a healthy sink delivers what it
// holds (bounded by the drain timeout); a failing one is stopped at once so
// its batches are answered with an error and read again by their sources
// under the new plan. Its metric series go once it is closed, unless the
// current plan has a sink of the same key.
func (rt *Runtime) retireSink(r *sinkRunner) {
	rt.srcMu.Lock()
	rt.retiring[r] = struct{}{}
	rt.srcMu.Unlock()
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		r.drainAndClose(rt.drain)
		rt.srcMu.Lock()
		delete(rt.retiring, r)
		rt.srcMu.Unlock()
		rt.metricsMu.Lock()
		defer rt.metricsMu.Unlock()
		if p := rt.Plan(); p == nil || !p.HasSink(r.key) {
			rt.metrics.deleteSink(r.key)
		}
	}()
}

// deleteRouteSeries drops the series of routes that old had and p has not.
func (rt *Runtime) deleteRouteSeries(old, p *plan.Plan) {
	keep := map[string]bool{}
	for _, r := range p.Routes() {
		keep[r.Name] = true
	}
	for _, r := range old.Routes() {
		if !keep[r.Name] {
			rt.metrics.deleteRoute(r.Name)
		}
	}
}

// startSource runs a lane's source under a supervisor goroutine, after the channel
// after closes (the source it replaces has stopped and committed).
func (rt *Runtime) startSource(l *plan.Lane, src sources.Source, after <-chan struct{}) {
	lg := rt.log.With("source", l.Source.Key)
	ctx, cancel := context.WithCancel(context.Background())
	sr := &laneRunner{key: l.Key, fingerprint: l.Fingerprint, source: l.Source.Key, lane: l.Sink, src: src,
		cancel: cancel, done: make(chan struct{}), state: "starting", since: time.Now()}
	rt.sources[l.Key] = sr
	out := &output{rt: rt, source: l.Key, in: rt.metrics.EventsIn.WithLabelValues(l.Source.Key, l.Sink), inB: rt.metrics.BytesIn.WithLabelValues(l.Source.Key, l.Sink)}
	rt.srcMu.Lock()
	rt.active[sr] = false
	rt.srcMu.Unlock()
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		defer close(sr.done)
		if after != nil {
			select {
			case <-after:
			case <-ctx.Done():
				return
			}
		}
		self := rt.supervise(ctx, lg, sr, out)
		if self {
			sr.setState("finished", nil)
		}
		rt.sourceEnded(sr, self)
	}()
}

// supervise runs a source, restarting it with capped backoff when it fails.
// It reports whether the source finished by itself (a bounded demo), as
// opposed to being stopped.
func (rt *Runtime) supervise(ctx context.Context, lg *slog.Logger, sr *laneRunner, out sources.Output) bool {
	backoff := time.Second
	for {
		sr.setState("running", nil)
		err := sr.src.Run(ctx, out)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			return true
		}
		sr.setState("restarting", err)
		lg.Error("source failed; restarting", "err", err, "backoff", backoff.String())
		if !ctxsleep.Sleep(ctx, backoff) {
			return false
		}
		backoff = min(backoff*2, time.Minute)
	}
}

// sourceEnded records a source's end; SourcesDone closes once every source
// of the current plan ended by itself. Sources stopped by a reload or by
// Shutdown never count.
func (rt *Runtime) sourceEnded(sr *laneRunner, self bool) {
	rt.srcMu.Lock()
	defer rt.srcMu.Unlock()
	if _, ok := rt.active[sr]; !ok {
		return
	}
	if !self {
		delete(rt.active, sr)
		return
	}
	rt.active[sr] = true
	rt.checkFinishedLocked()
}

func (rt *Runtime) checkFinishedLocked() {
	if len(rt.active) == 0 {
		return
	}
	for _, finished := range rt.active {
		if !finished {
			return
		}
	}
	select {
	case <-rt.srcDone:
	default:
		close(rt.srcDone)
	}
}

// retireSource stops sr in the background; it no longer counts towards
// SourcesDone.
func (rt *Runtime) retireSource(sr *laneRunner) {
	rt.srcMu.Lock()
	delete(rt.active, sr)
	rt.checkFinishedLocked()
	rt.srcMu.Unlock()
	sr.cancel()
}

// SourcesDone is closed once every source of the current plan has finished
// by itself: a bounded run (a demo with a count) is over.
func (rt *Runtime) SourcesDone() <-chan struct{} { return rt.srcDone }

// ShutdownResult says how a shutdown ended.
type ShutdownResult struct {
	// Undelivered is the number of source batches that were routed but not
	// delivered (or dead-lettered) when the shutdown ended. They were not
	// acknowledged, so a durable source (SLS) reads them again on restart.
	Undelivered int64
	// Forced is true when ctx ended before the sinks had delivered
	// everything.
	Forced bool
}

// Shutdown stops the sources (they stop pulling and commit what was
// acknowledged) and lets the sinks deliver what they hold until ctx ends,
// logging what is still pending every few seconds. When ctx ends first, the
// sinks give up: batches still unanswered are not acknowledged, so they are
// read again on the next start. Every goroutine the runtime started has
// ended when Shutdown returns (sources get a few seconds to commit after the
// sinks gave up).
func (rt *Runtime) Shutdown(ctx context.Context) ShutdownResult {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopped {
		return ShutdownResult{}
	}
	rt.stopped = true
	rt.stopping.Store(true)
	for _, sr := range rt.sources {
		sr.cancel()
	}
	sourcesDone := func() bool {
		for _, sr := range rt.sources {
			select {
			case <-sr.done:
			default:
				return false
			}
		}
		return true
	}
	var res ShutdownResult
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastLog := time.Now()
wait:
	for {
		if sourcesDone() && rt.outstanding.Load() == 0 {
			break
		}
		select {
		case <-ctx.Done():
			res.Forced = true
			break wait
		case <-tick.C:
		}
		if time.Since(lastLog) >= rt.progress {
			lastLog = time.Now()
			rt.logPending()
		}
	}
	if res.Forced {
		rt.logPending()
		rt.log.Warn("shutdown deadline reached; sinks give up on what they hold (it was not acknowledged and is read again on restart)")
	}
	// Stop every sink: retries end, what is left is answered with an error.
	all := rt.allSinks()
	for _, r := range all {
		r.stopNow()
	}
	grace := time.NewTimer(5 * time.Second)
	defer grace.Stop()
	for _, sr := range rt.sources {
		select {
		case <-sr.done:
		case <-grace.C:
			rt.log.Error("a source did not stop after its sinks gave up; exiting anyway", "source", sr.key)
		}
	}
	var cwg sync.WaitGroup
	for _, r := range rt.sinks {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			r.drainAndClose(0)
		}()
	}
	cwg.Wait()
	waited := make(chan struct{})
	go func() { rt.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-grace.C:
		rt.log.Error("runtime goroutines still running at exit")
	}
	res.Undelivered = rt.outstanding.Load() + rt.failedLate.Load()
	return res
}

func (rt *Runtime) allSinks() []*sinkRunner {
	out := make([]*sinkRunner, 0, len(rt.sinks))
	for _, r := range rt.sinks {
		out = append(out, r)
	}
	rt.srcMu.Lock()
	for r := range rt.retiring {
		out = append(out, r)
	}
	rt.srcMu.Unlock()
	return out
}

// logPending logs, per sink that still holds events, how many, its retries
// and its last error.
func (rt *Runtime) logPending() {
	for _, r := range rt.allSinks() {
		if n := r.pending.Load(); n > 0 {
			attrs := []any{"sink", r.key, "events", n, "retries", r.retryCount.Load()}
			if e := r.lastError(); e != "" {
				attrs = append(attrs, "last_error", e)
			}
			rt.log.Info("shutdown: waiting for sink", attrs...)
		}
	}
	if n := rt.outstanding.Load(); n > 0 {
		rt.log.Info("shutdown: source batches not yet acknowledged", "batches", n)
	}
}
