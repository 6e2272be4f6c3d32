package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/forwarder/forwarder/event"
	"github.com/forwarder/forwarder/plan"
	"github.com/forwarder/forwarder/rules"
)

// snapshot is one applied plan with its resolved runners. Deliver loads the
// current snapshot once per batch and routes the whole batch under it.
type snapshot struct {
	plan     *plan.Plan
	bySource map[string][]*routeRT
}

// routeRT is one route as one source's batches run through it.
type routeRT struct {
	route      *plan.Route
	to         []*sinkRunner
	deadLetter *sinkRunner
	clone      bool // from the plan: the route changes events another route of this lane reads
	primary    bool // from the plan: this lane counts the route and dead-letters its rule failures
	*routeMetrics
}

// output is the sources.Output the runtime binds to one source.
type output struct {
	rt      *Runtime
	source  string
	in, inB prometheus.Counter
}

var runners = sync.Pool{New: func() any { return rules.NewEvaluator() }}

// errNoPlan is returned by Deliver before the first Apply.
var errNoPlan = errors.New("engine: no plan applied")

// RouteEvent is the step every event takes through a route: on a copy when
// clone is set (the plan's decision: another route of the lane reads the
// same event), the route's rules in order. It returns the event to send
// (when the outcome is rules.Pass) or the one to dead-letter (rules.Failed,
// with the error as the reason). Deliver takes this step for every event
// of every route; `forwarder test` takes it for every test block.
func RouteEvent(run *rules.Evaluator, r *plan.Route, ev *event.Event, clone bool) (*event.Event, rules.Outcome, error) {
	if clone {
		ev = ev.Clone()
	}
	out, err := run.Run(r.Rules, ev)
	return ev, out, err
}

// Deliver routes b under the current snapshot and queues each kept event to
// its route's sinks. See sources.Output.
func (o *output) Deliver(ctx context.Context, b *event.Batch, done func(error)) error {
	snap := o.rt.cur.Load()
	if snap == nil {
		done(errNoPlan)
		return errNoPlan
	}
	rt := o.rt
	rt.outstanding.Add(1)
	var withdrawn atomic.Bool // the source took the batch back before it was queued
	t := newTracker(func(err error) {
		if err != nil && rt.stopping.Load() && !withdrawn.Load() {
			rt.failedLate.Add(1)
		}
		rt.outstanding.Add(-1)
		done(err)
	})
	o.in.Add(float64(len(b.Events)))
	raw := b.RawSize()
	o.inB.Add(float64(raw))

	routes := snap.bySource[o.source]
	run := runners.Get().(*rules.Evaluator)
	defer runners.Put(run)
	for _, r := range routes {
		var kept []item
		for j, ev := range b.Events {
			ev, out, err := RouteEvent(run, r.route, ev, r.clone)
			switch {
			case out == rules.Pass:
				if kept == nil {
					kept = make([]item, 0, len(b.Events)-j) // at most the rest, allocated once
				}
				// Sized once after the rules, for every sink of the route.
				size := ev.RawSize()
				kept = append(kept, item{ev: ev, t: t, dl: r.deadLetter, route: r.route.Name, size: size, mem: b.MemSize(size, raw)})
			case !r.primary: // counted and dead-lettered by the route's primary lane
			case out == rules.Filtered:
				r.filtered.Inc()
			case out == rules.Dropped:
				r.dropped.Inc()
			case out == rules.Failed:
				r.failed.Inc()
				t.add(1)
				deadLetter(item{ev: ev, t: t, dl: r.deadLetter, route: r.route.Name}, err.Error(), rt.log, r.lost)
			}
		}
		if r.primary {
			r.passed.Add(float64(len(kept)))
			if rt.tapping.Load() > 0 {
				rt.publish(r.route.Name, "", kept)
			}
		}
		if len(kept) == 0 {
			continue
		}
		for i, s := range r.to {
			items := kept
			if i < len(r.to)-1 {
				items = append([]item(nil), kept...)
			}
			t.add(len(items))
			if err := s.enqueue(ctx, items); err != nil {
				// Not queued: take the parts back and fail the batch; the
				// source will not checkpoint it and reads it again. When the
				// source itself gave up (its context ended: it is stopping),
				// the batch was never taken, so a shutdown does not count it
				// as undelivered.
				withdrawn.Store(ctx.Err() != nil)
				t.release(len(items), err)
				t.release(1, err)
				return err
			}
		}
	}
	t.release(1, nil)
	return nil
}
